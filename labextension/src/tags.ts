/**
 * Editing a cell's `metadata.tags` with the nb2prod vocabulary (from `/nb2prod/tags`,
 * never hard-coded here). Tags of other tools, suppression tags (`nb2prod:ignore:...`)
 * and their order are kept. No DOM here.
 */

export const NAMESPACE = 'nb2prod:';

function bare(tag: string): string {
  return tag.startsWith(NAMESPACE) ? tag.slice(NAMESPACE.length) : tag;
}

/** The vocabulary tags a cell carries (plain `predict` or namespaced `nb2prod:predict`). */
export function vocabularyTags(
  tags: readonly string[],
  vocabulary: readonly string[]
): string[] {
  const found: string[] = [];
  for (const tag of tags) {
    const name = bare(tag);
    if (vocabulary.includes(name) && !found.includes(name)) {
      found.push(name);
    }
  }
  return found;
}

/** The tags with `name` added (as the plain, canonical tag) unless the cell has it already. */
export function addTag(
  tags: readonly string[],
  name: string,
  vocabulary: readonly string[]
): string[] {
  if (!vocabulary.includes(name)) {
    throw new Error(`"${name}" is not an nb2prod tag (known: ${vocabulary.join(', ')})`);
  }
  if (vocabularyTags(tags, vocabulary).includes(name)) {
    return [...tags];
  }
  return [...tags, name];
}

/** The tags without `name`, in both its plain and namespaced spelling. */
export function removeTag(tags: readonly string[], name: string): string[] {
  return tags.filter(t => t !== name && t !== NAMESPACE + name);
}

/** Reads `metadata.tags` defensively: anything but a list of strings counts as none. */
export function tagsOf(metadataTags: unknown): string[] {
  return Array.isArray(metadataTags)
    ? metadataTags.filter((t): t is string => typeof t === 'string')
    : [];
}
