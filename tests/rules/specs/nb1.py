"""Fixtures for NB1xx (reproducibility)."""

from _spec import code, nb

FIXTURES = {
    "NB101": {
        "fires": nb(
            code("import random"),
            code("x = random.random()  # expect: NB101\nrandom.shuffle([1, 2, 3])"),
            code("random.seed(0)\ny = random.randint(1, 6)"),
        ),
        "fires_from_import": nb(
            code("from random import shuffle, choice\nrows = [1, 2, 3]"),
            code("shuffle(rows)  # expect: NB101\npick = choice(rows)"),
        ),
        "fires_helper_never_called": nb(
            code("import random\n\ndef set_seed(s):\n    random.seed(s)\n"),
            code("x = random.random()  # expect: NB101"),
        ),
        "clean": nb(
            code("import random\nrandom.seed(42)"),
            code("x = random.random()\nrandom.shuffle([1, 2, 3])\nrng = random.Random(7)"),
        ),
        "clean_skip_cell": nb(
            code("import random"),
            code("random.random()", tags=["skip"]),
            code("random.seed(1)\nrandom.random()"),
        ),
        "clean_seed_helper": nb(
            code("import random\nimport numpy as np\n\ndef seed_all(seed):\n    random.seed(seed)\n"
                 "    np.random.seed(seed)\n"),
            code("seed_all(42)"),
            code("x = random.choice([1, 2, 3])"),
        ),
        "clean_seed_everything": nb(
            code("import random\nimport lightning as L\nL.seed_everything(42)"),
            code("x = random.random()"),
        ),
        # A seed helper seeds where it is called, not where it is defined.
        "fires_between_helper_definition_and_call": nb(
            code("import random\n\ndef seed_everything(s):\n    random.seed(s)\n"),
            code("x = random.random()  # expect: NB101"),
            code("seed_everything(0)\ny = random.random()"),
        ),
        "clean_helper_called_under_main_guard": nb(
            code("import random\n\ndef seed_everything(s):\n    random.seed(s)\n"),
            code("if __name__ == '__main__':\n    seed_everything(0)"),
            code("y = random.random()"),
        ),
        "clean_keras_set_random_seed": nb(
            code("import random\nimport numpy as np\nimport keras\nkeras.utils.set_random_seed(7)"),
            code("x = random.random()\nz = np.random.rand(2)"),
        ),
    },
    "NB102": {
        "fires": nb(
            code("import numpy as np"),
            code("X = np.random.rand(10, 3)  # expect: NB102\ny = np.random.randint(0, 2, 10)"),
            code("np.random.seed(0)"),
        ),
        "fires_scipy": nb(
            code("from scipy import stats\nsample = stats.norm.rvs(size=100)  # expect: NB102"),
        ),
        "fires_function_called_before_seed": nb(
            code("import numpy as np\n\ndef make_data():\n    return np.random.randn(5)  # expect: NB102\n"),
            code("data = make_data()"),
            code("np.random.seed(0)"),
        ),
        "clean": nb(
            code("import numpy as np\nnp.random.seed(42)"),
            code("X = np.random.rand(10, 3)\nrng = np.random.default_rng(0)\nz = rng.normal(size=3)"),
        ),
        "clean_seeded_inside_function": nb(
            code("import numpy as np\n\ndef train():\n    np.random.seed(0)\n    return np.random.rand(3)\n"),
            code("w = train()"),
        ),
        "clean_function_called_after_seed": nb(
            code("import numpy as np\n\ndef make_data():\n    return np.random.randn(5)\n"),
            code("np.random.seed(0)\ndata = make_data()"),
        ),
        "fires_hugging_face_split": nb(
            code("from datasets import load_dataset\nds = load_dataset('csv', data_files='data.csv')"),
            code("parts = ds['train'].train_test_split(test_size=0.2)  # expect: NB102"),
        ),
        "clean_hugging_face_split_seeded": nb(
            code("from datasets import load_dataset\nds = load_dataset('csv', data_files='data.csv')"),
            code("parts = ds['train'].train_test_split(test_size=0.2, seed=42)\n"
                 "ordered = ds['train'].train_test_split(test_size=0.2, shuffle=False)"),
        ),
    },
    "NB103": {
        "fires": nb(
            code("import numpy as np\nimport random\nfrom numpy.random import Generator, PCG64"),
            code("rng = np.random.default_rng()  # expect: NB103\n"
                 "legacy = np.random.RandomState(None)  # expect: NB103\n"
                 "g = Generator(PCG64())  # expect: NB103\n"
                 "r = random.Random()  # expect: NB103"),
        ),
        "clean": nb(
            code("import numpy as np\nimport random\nSEED = 42"),
            code("rng = np.random.default_rng(SEED)\nlegacy = np.random.RandomState(seed=0)\n"
                 "ss = np.random.SeedSequence(1234)\nr = random.Random(1)\n"
                 "g = np.random.Generator(np.random.PCG64(5))"),
        ),
    },
    "NB104": {
        "fires": nb(
            code("import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                 "        super().__init__()\n        self.fc = nn.Linear(4, 3)  # expect: NB104\n"),
            code("model = Net()\nnoise = torch.randn(3)"),
            code("torch.manual_seed(0)"),
        ),
        "fires_dataloader": nb(
            code("from torch.utils.data import DataLoader\ntrain = list(range(10))"),
            code("loader = DataLoader(train, batch_size=2, shuffle=True)  # expect: NB104"),
            code("for batch in loader:\n    print(batch)"),
        ),
        # A shuffling DataLoader draws when iterated: iterated before the seed, it is unseeded.
        "fires_dataloader_iterated_before_seed": nb(
            code("import torch\nfrom torch.utils.data import DataLoader\n"
                 "loader = DataLoader(list(range(10)), shuffle=True)  # expect: NB104"),
            code("first = next(iter(loader))"),
            code("torch.manual_seed(0)"),
        ),
        "fires_layer_initialised_before_seed": nb(
            code("import torch\nfrom torch import nn\nlayer = nn.Linear(4, 2)  # expect: NB104\n"
                 "drop = nn.Dropout(0.5)"),
            code("torch.manual_seed(0)\nout = drop(layer(torch.ones(4)))"),
        ),
        # Constructed before the seed, but drawing only when applied or iterated, after it.
        "clean_dropout_and_loader_draw_after_seed": nb(
            code("import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader\n"
                 "drop = nn.Dropout(0.5)\nloader = DataLoader(list(range(10)), batch_size=2, shuffle=True)"),
            code("torch.manual_seed(0)"),
            code("for batch in loader:\n    out = drop(batch.float())"),
        ),
        "clean_head_replaced_before_use": nb(
            code("import torch\nfrom torch import nn\nmodel = torchvision.models.efficientnet_b2()"),
            code("model.classifier = nn.Sequential(nn.Dropout(p=0.3), nn.Linear(1408, 3))"),
            code("def create_model(seed=42):\n    torch.manual_seed(seed)\n"
                 "    m = torchvision.models.efficientnet_b2()\n    m.classifier = nn.Linear(1408, 3)\n    return m"),
            code("model = create_model()\nopt = torch.optim.Adam(model.parameters())"),
        ),
        "fires_head_used_before_replaced": nb(
            code("import torch\nfrom torch import nn\nmodel = torchvision.models.efficientnet_b2()"),
            code("model.classifier = nn.Linear(1408, 3)  # expect: NB104\nprint(model(x))"),
            code("torch.manual_seed(0)\nmodel = torchvision.models.efficientnet_b2()"),
        ),
        "clean_dropout_in_model_seeded_before_training": nb(
            code("import torch\nfrom torch import nn\n\nclass Head(nn.Module):\n    def __init__(self):\n"
                 "        super().__init__()\n        self.drop = nn.Dropout(0.1)\n"),
            code("head = Head()"),
            code("torch.manual_seed(0)\nout = head.drop(torch.ones(3))"),
        ),
        "clean_random_transforms_applied_after_seed": nb(
            code("import torch\nfrom torchvision import datasets, transforms\nfrom torch.utils.data import DataLoader\n"
                 "aug = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor()])\n"
                 "train = datasets.ImageFolder('data/train', transform=aug)\nloader = DataLoader(train, batch_size=8)"),
            code("torch.manual_seed(0)"),
            code("for images, labels in loader:\n    break"),
        ),
        "clean": nb(
            code("import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, random_split\n"
                 "\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                 "        self.fc = nn.Linear(4, 3)\n"),
            code("torch.manual_seed(0)\nmodel = Net()\nx = torch.rand(2, 4)"),
            code("g = torch.Generator().manual_seed(1)\nparts = random_split(list(range(10)), [5, 5], generator=g)\n"
                 "loader = DataLoader(parts[0], shuffle=True, generator=g)"),
        ),
        "clean_lightning": nb(
            code("import pytorch_lightning as pl\nimport torch\npl.seed_everything(42)"),
            code("w = torch.nn.init.xavier_uniform_(torch.empty(3, 5))"),
        ),
        "clean_no_randomness": nb(
            code("import torch\nx = torch.zeros(3)\nloader = torch.utils.data.DataLoader([1, 2], shuffle=False)"),
        ),
        "fires_new_head_and_sampling": nb(
            code("import torch\nfrom transformers import AutoModelForSequenceClassification, AutoModelForCausalLM"),
            code("clf = AutoModelForSequenceClassification.from_pretrained('bert-base-cased', "
                 "num_labels=3)  # expect: NB104"),
        ),
        "fires_sampling": nb(
            code("import torch\nfrom transformers import AutoModelForCausalLM"),
            code("lm = AutoModelForCausalLM.from_pretrained('gpt2')\n"
                 "out = lm.generate(ids, do_sample=True, top_p=0.9)  # expect: NB104"),
        ),
        "clean_heads_after_a_seed_or_trainer": nb(
            code("import torch\nfrom transformers import (AutoModelForSequenceClassification, AutoModelForCausalLM,\n"
                 "    Trainer, set_seed)"),
            code("lm = AutoModelForCausalLM.from_pretrained('gpt2')\nout = lm.generate(ids, max_new_tokens=5)"),
            code("trainer = Trainer(model=lm, args=args)\nsample = lm.generate(ids, do_sample=True)"),
            code("set_seed(0)\n"
                 "clf = AutoModelForSequenceClassification.from_pretrained('bert-base-cased', num_labels=3)"),
        ),
    },
    "NB105": {
        "fires": nb(
            code("import tensorflow as tf"),
            code("model = tf.keras.Sequential([\n    tf.keras.layers.Dense(10),  # expect: NB105\n"
                 "    tf.keras.layers.Dropout(0.5),\n])\nmodel.compile('adam', 'mse')"),
            code("model.fit(X, y, epochs=2)"),
        ),
        # A layer given its input shape is built, and draws its weights, where it is created.
        "fires_built_before_seed": nb(
            code("from tensorflow import keras\n"
                 "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])  # expect: NB105"),
            code("keras.utils.set_random_seed(0)\nmodel.fit(X, y)"),
        ),
        "fires_functional_layer_called": nb(
            code("from tensorflow import keras\ninputs = keras.Input((4,))\n"
                 "outputs = keras.layers.Dense(3)(inputs)  # expect: NB105"),
        ),
        # Layer constructors draw nothing: weights are drawn when the model is built or fit.
        "clean_layers_never_built": nb(
            code("from tensorflow import keras\n"
                 "model = keras.Sequential([keras.layers.Dense(3), keras.layers.Dropout(0.2)])\n"
                 "model.compile('adam', 'mse')"),
        ),
        "clean_built_after_seed": nb(
            code("from tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(3)])\n"
                 "model.compile('adam', 'mse')"),
            code("keras.utils.set_random_seed(0)\nmodel.fit(X, y)"),
        ),
        "fires_dataset_shuffle": nb(
            code("import tensorflow as tf\nds = tf.data.Dataset.from_tensor_slices([1, 2, 3])"),
            code("ds = ds.shuffle(100).batch(2)  # expect: NB105"),
        ),
        "clean": nb(
            code("import tensorflow as tf\nfrom tensorflow import keras\nkeras.utils.set_random_seed(42)"),
            code("model = keras.Sequential([keras.layers.Dense(10)])\nx = tf.random.normal((2, 3))\n"
                 "ds = tf.data.Dataset.range(10).shuffle(10)"),
        ),
        "clean_op_seeds": nb(
            code("import tensorflow as tf\nimport random\nds = tf.data.Dataset.range(10).shuffle(10, seed=1)\n"
                 "x = tf.random.uniform((2,), seed=3)\nrandom.shuffle([1, 2])"),
        ),
        "clean_layers_shown_or_added_then_built_after_seed": nb(
            code("import tensorflow as tf\nfrom tensorflow import keras"),
            code("keras.layers.Dense(10, activation='relu', kernel_initializer='he_normal')"),
            code("init = keras.initializers.VarianceScaling(scale=2.0)\n"
                 "keras.layers.Dense(10, kernel_initializer=init)"),
            code("model = keras.Sequential()\nmodel.add(keras.layers.Dense(8))\nmodel.compile(loss='mse')"),
            code("tf.random.set_seed(42)\nmodel.fit(X, y)"),
        ),
        "fires_layer_added_and_trained_unseeded": nb(
            code("import tensorflow as tf\nfrom tensorflow import keras"),
            code("model = keras.Sequential()\nmodel.add(keras.layers.Dense(8))  # expect: NB105\n"
                 "model.compile(loss='mse')\nmodel.fit(X, y)"),
        ),
    },
    "NB106": {
        "fires": nb(
            code("from sklearn.model_selection import train_test_split, KFold\n"
                 "from sklearn.ensemble import RandomForestClassifier\nimport pandas as pd"),
            code("X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)  # expect: NB106\n"
                 "cv = KFold(5, shuffle=True)  # expect: NB106\n"
                 "model = RandomForestClassifier(n_estimators=10, random_state=None)  # expect: NB106\n"
                 "df = pd.DataFrame({'a': [1, 2]}).sample(frac=1)  # expect: NB106"),
        ),
        "fires_old_import_path": nb(
            code("from sklearn.cross_validation import train_test_split\n"
                 "parts = train_test_split(X, y)  # expect: NB106"),
        ),
        "clean": nb(
            code("from sklearn import model_selection, linear_model, svm\n"
                 "from sklearn.ensemble import RandomForestClassifier\n"
                 "from sklearn.linear_model import LogisticRegression"),
            code("parts = model_selection.train_test_split(X, y, random_state=0)\n"
                 "ordered = model_selection.train_test_split(X, y, shuffle=False)\n"
                 "cv = model_selection.KFold(5)\nlr = LogisticRegression(C=2.0)\n"
                 "sv = svm.SVC(kernel='linear')\nrf = RandomForestClassifier(**params)\n"
                 "rf2 = RandomForestClassifier(random_state=SEED)\nrows = df.sample(5)"),
        ),
        "clean_global_numpy_seed": nb(
            code("import numpy as np\nfrom sklearn.cluster import KMeans\nnp.random.seed(0)"),
            code("km = KMeans(n_clusters=3)"),
        ),
        # Measured (tools/sklearn_seed_experiment.py): the seed changes these results.
        "fires_parameters_that_use_the_seed": nb(
            code("from sklearn.linear_model import LogisticRegression\nfrom sklearn.svm import SVC\n"
                 "from sklearn.tree import DecisionTreeClassifier\nfrom sklearn.decomposition import PCA"),
            code("l1 = LogisticRegression(solver='liblinear', penalty='l1')  # expect: NB106\n"
                 "sg = LogisticRegression(solver='saga')  # expect: NB106\n"
                 "sv = SVC(probability=True)  # expect: NB106\n"
                 "dt = DecisionTreeClassifier(max_depth=3)  # expect: NB106\n"
                 "pc = PCA(n_components=2, svd_solver='randomized')  # expect: NB106"),
        ),
        # ... and cannot change these: bit-identical for every seed.
        "clean_seed_cannot_change_the_result": nb(
            code("from sklearn.linear_model import LogisticRegression, Ridge\nfrom sklearn.svm import SVC, LinearSVC\n"
                 "from sklearn.decomposition import PCA\nfrom sklearn.datasets import make_moons"),
            code("lr = LogisticRegression(solver='liblinear')\nlr2 = LogisticRegression(max_iter=1000)\n"
                 "lr3 = LogisticRegression(solver='newton-cg', random_state=None)\n"
                 "sv = SVC(kernel='rbf')\nls = LinearSVC(dual=False)\npc = PCA()\nrd = Ridge(alpha=1.0)\n"
                 "X, y = make_moons(100, shuffle=False)"),
        ),
    },
    "NB109": {
        "fires": nb(
            code("from sklearn.preprocessing import QuantileTransformer\n"
                 "from sklearn.ensemble import HistGradientBoostingClassifier\n"
                 "from sklearn.linear_model import LogisticRegression"),
            code("qt = QuantileTransformer(n_quantiles=100)  # expect: NB109\n"
                 "hgb = HistGradientBoostingClassifier()  # expect: NB109\n"
                 "lr = LogisticRegression(solver=SOLVER)  # expect: NB109"),
        ),
        "clean": nb(
            code("from sklearn.preprocessing import QuantileTransformer\n"
                 "from sklearn.ensemble import HistGradientBoostingClassifier\n"
                 "from sklearn.linear_model import LogisticRegression"),
            code("qt = QuantileTransformer(n_quantiles=100, random_state=0)\n"
                 "hgb = HistGradientBoostingClassifier(random_state=0)\n"
                 "lr = LogisticRegression(solver='lbfgs')"),
        ),
        "clean_global_numpy_seed": nb(
            code("import numpy as np\nfrom sklearn.preprocessing import QuantileTransformer\nnp.random.seed(0)"),
            code("qt = QuantileTransformer()"),
        ),
    },
}
