import { addTag, removeTag, tagsOf, vocabularyTags } from '../tags';
import { TAGS } from './fixtures';

const vocabulary = TAGS.tags.map(t => t.name);

describe('cell tags', () => {
  it('reads the vocabulary tags, plain or namespaced, once each', () => {
    expect(
      vocabularyTags(['hide-input', 'nb2prod:predict', 'serve', 'predict'], vocabulary)
    ).toEqual(['predict', 'serve']);
    expect(vocabularyTags(['nb2prod:ignore:NB101', 'example'], vocabulary)).toEqual([]);
  });

  it('adds a tag and keeps the others and their order', () => {
    expect(addTag(['hide-input', 'nb2prod:ignore:NB101'], 'predict', vocabulary)).toEqual([
      'hide-input',
      'nb2prod:ignore:NB101',
      'predict'
    ]);
  });

  it('does not add a tag the cell already has, in either spelling', () => {
    expect(addTag(['nb2prod:predict'], 'predict', vocabulary)).toEqual(['nb2prod:predict']);
  });

  it('refuses a name outside the vocabulary', () => {
    expect(() => addTag([], 'deploy', vocabulary)).toThrow('not an nb2prod tag');
  });

  it('removes both spellings and nothing else', () => {
    expect(removeTag(['predict', 'hide-input', 'nb2prod:predict', 'serve'], 'predict')).toEqual([
      'hide-input',
      'serve'
    ]);
  });

  it('reads metadata.tags defensively', () => {
    expect(tagsOf(['a', 3, 'b'])).toEqual(['a', 'b']);
    expect(tagsOf('predict')).toEqual([]);
    expect(tagsOf(undefined)).toEqual([]);
  });
});
