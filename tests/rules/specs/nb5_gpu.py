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
