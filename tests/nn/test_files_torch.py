"""Models move between the engine and PyTorch through safetensors files (skipped when torch
or safetensors is not installed): saved here, loaded strictly into the same architecture
built with torch.nn with the same outputs, and back. Also clipping against PyTorch's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd_lite import Tensor

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


def torch_mlp(sizes, dtype):
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if index < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers).to(dtype)


def ours(model, x):
    model.eval()
    out = model(Tensor(x))
    return (out[0] if isinstance(out, tuple) else out).numpy()


def theirs(model, x):
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    return (out[0] if isinstance(out, tuple) else out).numpy()


def round_trip(tmp_path, model, torch_model, x, tolerance):
    """Engine -> PyTorch (strict, same outputs), then PyTorch (changed) -> engine."""
    path = tmp_path / "model.safetensors"
    nn.save(model, path)
    result = torch_model.load_state_dict(safetensors_torch.load_file(str(path)), strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_allclose(theirs(torch_model, x), ours(model, x), rtol=tolerance,
                               atol=tolerance)  # fmt: skip
    with torch.no_grad():
        for parameter in torch_model.parameters():
            parameter.mul_(0.5)
    back = tmp_path / "from_torch.safetensors"
    safetensors_torch.save_file(torch_model.state_dict(), str(back))
    nn.load(model, back)
    np.testing.assert_allclose(ours(model, x), theirs(torch_model, x), rtol=tolerance,
                               atol=tolerance)  # fmt: skip


@pytest.mark.parametrize("dtype, torch_dtype, tolerance", [
    (np.float32, torch.float32, 1e-5), (np.float64, torch.float64, 1e-12)])  # fmt: skip
def test_an_mlp_moves_to_pytorch_and_back(tmp_path, dtype, torch_dtype, tolerance):
    nn.manual_seed(0)
    model = nn.MLP([3, 16, 8, 2], dtype=dtype)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(dtype)
    round_trip(tmp_path, model, torch_mlp([3, 16, 8, 2], torch_dtype), x, tolerance)


def test_a_model_trained_with_loader_scheduler_and_clipping_moves_to_pytorch(tmp_path):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(64, 2)).astype(np.float32)
    labels = (points[:, 0] > points[:, 1]).astype(np.int64)
    loader = nn.data.DataLoader(nn.data.TensorDataset(points, labels), batch_size=16,
                                shuffle=True, generator=np.random.default_rng(1))  # fmt: skip
    nn.manual_seed(0)
    model = nn.MLP([2, 8, 2], dtype=np.float32)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = nn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=10,
                     scheduler=scheduler, max_grad_norm=1.0, quiet=True)  # fmt: skip
    assert history[-1] < history[0]
    round_trip(tmp_path, model, torch_mlp([2, 8, 2], torch.float32), points, 1e-5)


class Scaled(nn.Module):
    """Layers of the nn issue with buffers (a float one and an int64 count), as a user
    writes a module of their own; TorchScaled is the same module in torch.nn."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 6), nn.GELU(approximate="tanh"),
                                  nn.Linear(6, 6), nn.SiLU())  # fmt: skip
        self.head = nn.ModuleDict({"out": nn.Linear(6, 2)})
        self.register_buffer("scale", np.full(6, 0.5))
        self.register_buffer("seen", np.array(3, dtype=np.int64))

    def forward(self, x):
        return self.head["out"](self.body(x) * self.scale)


def test_a_module_with_buffers_and_containers_moves_to_pytorch_and_back(tmp_path):
    class TorchScaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Linear(3, 6), torch.nn.GELU(approximate="tanh"),
                torch.nn.Linear(6, 6), torch.nn.SiLU(),
            )  # fmt: skip
            self.head = torch.nn.ModuleDict({"out": torch.nn.Linear(6, 2)})
            self.register_buffer("scale", torch.zeros(6))
            self.register_buffer("seen", torch.tensor(0))

        def forward(self, x):
            return self.head["out"](self.body(x) * self.scale)

    nn.manual_seed(0)
    model = Scaled()
    torch_model = TorchScaled().double()
    x = np.random.default_rng(0).normal(size=(4, 3))
    round_trip(tmp_path, model, torch_model, x, 1e-12)
    assert torch_model.seen.item() == 3 and torch_model.seen.dtype == torch.int64


def test_a_file_from_pytorch_with_metadata_loads(tmp_path):
    torch.manual_seed(0)
    torch_model = torch_mlp([4, 3], torch.float64)
    path = tmp_path / "torch.safetensors"
    safetensors_torch.save_file(torch_model.state_dict(), str(path), metadata={"format": "pt"})
    model = nn.MLP([4, 3])
    nn.load(model, path)
    x = np.random.default_rng(1).normal(size=(2, 4))
    np.testing.assert_allclose(ours(model, x), theirs(torch_model, x), rtol=1e-12)


def test_a_pytorch_file_of_another_dtype_is_refused_naming_the_entry(tmp_path):
    path = tmp_path / "half.safetensors"
    safetensors_torch.save_file(torch_mlp([4, 3], torch.bfloat16).state_dict(), str(path))
    model = nn.MLP([4, 3])
    with pytest.raises(ValueError, match=r"'0\.(weight|bias)' has dtype BF16, the model float64"):
        nn.load(model, path)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_gives_pytorchs_gradients_and_norm(norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(4, 3)) * 5, rng.normal(size=3)]
    params = [nn.Parameter(np.zeros_like(g)) for g in grads]
    torch_params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for param, torch_param, grad in zip(params, torch_params, grads):
        param.grad = Tensor(grad)
        torch_param.grad = torch.from_numpy(grad.copy())
    total = nn.utils.clip_grad_norm_(params, 1.5, norm_type=norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(torch_params, 1.5, norm_type=norm_type)
    assert total.item() == pytest.approx(torch_total.item(), rel=1e-12)
    for param, torch_param in zip(params, torch_params):
        np.testing.assert_allclose(param.grad.numpy(), torch_param.grad.numpy(), rtol=1e-12)
    nn.utils.clip_grad_value_(params, 0.1)
    torch.nn.utils.clip_grad_value_(torch_params, 0.1)
    for param, torch_param in zip(params, torch_params):
        np.testing.assert_allclose(param.grad.numpy(), torch_param.grad.numpy(), rtol=1e-12)
        assert np.abs(param.grad.numpy()).max() <= 0.1


# ---------------------------------------------------------------- the layers of the nn issue
# (run once nn has them: Conv2d, BatchNorm2d, LSTM, MultiheadAttention, LayerNorm)

needs = pytest.mark.skipif(
    not all(
        hasattr(nn, name)
        for name in (
            "Conv2d",
            "BatchNorm2d",
            "MaxPool2d",
            "LSTM",
            "MultiheadAttention",
            "LayerNorm",
        )
    ),  # fmt: skip
    reason="nn does not have these layers yet",
)


@needs
def test_a_cnn_with_batchnorm_moves_to_pytorch_and_back(tmp_path):
    nn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))  # fmt: skip
    x = np.random.default_rng(0).normal(size=(2, 1, 8, 8))
    model.train()
    model(Tensor(x))  # running statistics move away from their initial values
    torch_model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3),
    ).double()  # fmt: skip
    round_trip(tmp_path, model, torch_model, x, 1e-10)


@needs
def test_an_lstm_moves_to_pytorch_and_back(tmp_path):
    nn.manual_seed(0)
    model = nn.LSTM(4, 5, num_layers=2, batch_first=True)
    torch_model = torch.nn.LSTM(4, 5, num_layers=2, batch_first=True).double()
    x = np.random.default_rng(0).normal(size=(3, 6, 4))
    round_trip(tmp_path, model, torch_model, x, 1e-10)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)
        self.ff = nn.Linear(8, 8)

    def forward(self, x):
        return self.ff(self.norm(x + self.attn(x, x, x)[0]))


@needs
def test_a_transformer_block_moves_to_pytorch_and_back(tmp_path):
    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
            self.norm = torch.nn.LayerNorm(8)
            self.ff = torch.nn.Linear(8, 8)

        def forward(self, x):
            return self.ff(self.norm(x + self.attn(x, x, x)[0]))

    nn.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(2, 5, 8))
    round_trip(tmp_path, Block(), TorchBlock().double(), x, 1e-10)
