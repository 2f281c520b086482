"""Fixtures for NB507 (gpu-only-code): GPU code with and without a CPU path."""

from _spec import code, nb

FIXTURES = {
    "NB507": {
        "fires": nb(
            code("import torch\nmodel = Net().cuda()  # expect: NB507\nx = batch.to('cuda')"),
            code('y = model(x.to("cuda:0"))\nz = torch.zeros(3, device="cuda")'),
        ),
        "fires_device_assigned": nb(
            code('import torch\ndevice = "cuda"  # expect: NB507\nmodel = model.to(device)'),
            code("loss.cpu().item()"),  # moving a result back is no CPU path
        ),
        "fires_torch_device": nb(
            code('import torch\ndev = torch.device("cuda:0")  # expect: NB507'),
        ),
        "fires_lightning_told_gpu": nb(
            code("import lightning as L\ntrainer = L.Trainer(accelerator='gpu', devices=1)  # expect: NB507"),
        ),
        "fires_tpu_only": nb(
            code("import tensorflow as tf\n"
                 "resolver = tf.distribute.cluster_resolver.TPUClusterResolver()  # expect: NB507\n"
                 "tf.tpu.experimental.initialize_tpu_system(resolver)"),
        ),
        "fires_named_gpus": nb(
            code("import tensorflow as tf\n"
                 "strategy = tf.distribute.MirroredStrategy(devices=['/gpu:0', '/gpu:1'])  # expect: NB507"),
        ),
        "clean_tpu_with_fallback": nb(
            code("import tensorflow as tf\ntry:\n    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()\n"
                 "    tf.tpu.experimental.initialize_tpu_system(resolver)\n"
                 "    strategy = tf.distribute.TPUStrategy(resolver)\nexcept ValueError:\n"
                 "    strategy = tf.distribute.get_strategy()"),
        ),
        "clean_lightning_chooses": nb(
            code("import lightning as L\ntrainer = L.Trainer(max_epochs=3)\nmodel.cuda()"),
            code("trainer2 = L.Trainer(accelerator='auto')"),
        ),
        "clean_is_available": nb(
            code("import torch\nif torch.cuda.is_available():\n    model = model.cuda()"),
            code('x = batch.to("cuda")'),
        ),
        "clean_conditional_device": nb(
            code('import torch\ndevice = torch.device("cuda" if use_gpu else "cpu")\nmodel.to(device)'),
            code('model.to("cuda")'),
        ),
        "clean_else_branch": nb(
            code('if args.gpu:\n    device = "cuda"\nelse:\n    device = "cpu"\nmodel.to(device)'),
        ),
        "clean_library_chooses": nb(
            code(
                "from transformers import AutoModelForCausalLM\n"
                'model = AutoModelForCausalLM.from_pretrained("gpt2", device_map="auto")\n'
                'inputs = tok("hi", return_tensors="pt").to("cuda")'
            ),
        ),
        "clean_tensorflow_and_skip": nb(
            code("import tensorflow as tf\nwith tf.device('/GPU:0'):\n    y = tf.matmul(a, b)"),
            code("model.cuda()", tags=["skip"]),
        ),
    },
}
