"""`MultiheadAttention`: PyTorch's layer, parameter names, masks and returned weights.

The projections are PyTorch's: ``in_proj_weight`` (3 E, E) holds the query, key and value
projections stacked (or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when kdim or
vdim differ from embed_dim), ``in_proj_bias`` (3 E,), and ``out_proj`` a Linear(E, E).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, attention, concatenate, linear

from . import init
from .cells import as_input, check_size
from .functional.attention import additive, attend, causal_mask, mask_array, swap_last
from .linear import Linear
from .module import Module
from .parameter import Parameter, layer_dtype

_NAME = "MultiheadAttention"


class NonDynamicallyQuantizableLinear(Linear):
    """`Linear` under the class name PyTorch gives ``MultiheadAttention.out_proj`` (printout)."""


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of embed_dim / num_heads features each, as PyTorch.

    out = concat_h(softmax(Q_h K_h^T / sqrt(head_dim) + mask) V_h) W_o^T + b_o with
    Q = query W_q^T + b_q, K = key W_k^T + b_k, V = value W_v^T + b_v.

    Args:
        embed_dim: features E of the query and of the output.
        num_heads: heads; embed_dim must be divisible by it.
        dropout: dropout probability on the attention weights (in training).
        bias: learn ``in_proj_bias`` and ``out_proj.bias``.
        add_bias_kv: learn ``bias_k``, ``bias_v`` (1, 1, E) appended to the keys and values.
        add_zero_attn: append a zero key and value (after the projections).
        kdim, vdim: features of key and value (default embed_dim).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        dtype: float64 (default) or float32 parameters.
        generator: draws the initial values (default: the global one, `nn.manual_seed`):
            xavier_uniform_ for the projection weights, zeros for the biases, `Linear`'s
            init for out_proj.weight, xavier_normal_ for bias_k / bias_v.

    Call it as ``attn(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)``:

    - query (L, N, E), key (S, N, kdim), value (S, N, vdim); (N, L, E) etc. with batch_first;
      (L, E) etc. without a batch axis.
    - key_padding_mask (N, S) (or (S,)): bool True = ignore that key; float: added.
    - attn_mask (L, S) or (N * num_heads, L, S): bool True = not allowed; float: added.
    - is_causal: a hint that attn_mask is the causal mask, as in PyTorch; with no attn_mask
      the causal mask is built here (PyTorch raises instead).

    Returns ``(output, weights)``: output (L, N, E) (or (N, L, E), (L, E)); weights
    (N, L, S) averaged over heads, or (N, num_heads, L, S) with
    ``average_attn_weights=False``, or None with ``need_weights=False``. As in PyTorch, a query
    whose keys are all masked gets NaN with need_weights=True and zeros without.

    Raises:
        ValueError: for embed_dim not divisible by num_heads.
        ShapeError: (when called) for inputs or masks of the wrong shapes.

    Example:
        >>> attn = MultiheadAttention(8, 2, batch_first=True)
        >>> x = Tensor(np.ones((3, 5, 8)))
        >>> out, weights = attn(x, x, x)
        >>> out.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.embed_dim = check_size(_NAME, "embed_dim", embed_dim)
        self.num_heads = check_size(_NAME, "num_heads", num_heads)
        self.kdim = self.embed_dim if kdim is None else check_size(_NAME, "kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else check_size(_NAME, "vdim", vdim)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"{_NAME}: embed_dim must be divisible by num_heads, got embed_dim="
                f"{self.embed_dim}, num_heads={self.num_heads}"
            )
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"{_NAME}: dropout must be in [0, 1], got {dropout}")
        dtype = layer_dtype(_NAME, dtype)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        self.add_zero_attn, self.generator = bool(add_zero_attn), generator
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        E = self.embed_dim  # noqa: N806 - PyTorch's letter

        def zeros(*shape: int) -> Parameter:
            return Parameter(np.zeros(shape), dtype=dtype)

        if self._qkv_same_embed_dim:
            self.in_proj_weight = zeros(3 * E, E)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = zeros(E, E)
            self.k_proj_weight = zeros(E, self.kdim)
            self.v_proj_weight = zeros(E, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = zeros(3 * E)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(
            E, E, bias=bias, dtype=dtype, generator=generator
        )
        self.bias_k: Parameter | None
        self.bias_v: Parameter | None
        if add_bias_kv:
            self.bias_k, self.bias_v = zeros(1, 1, E), zeros(1, 1, E)
        else:
            self.bias_k = self.bias_v = None
        self.reset_parameters(generator, out_proj=False)

    def reset_parameters(
        self, generator: np.random.Generator | None = None, out_proj: bool = True
    ) -> None:
        """Draw the parameters again from PyTorch's distributions (see the class)."""
        if out_proj:
            self.out_proj.reset_parameters(generator)
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, generator=generator)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight, generator=generator)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            assert self.out_proj.bias is not None  # made with bias=True, as in_proj_bias was
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            assert self.bias_v is not None  # the two are made together (add_bias_kv)
            init.xavier_normal_(self.bias_k, generator=generator)
            init.xavier_normal_(self.bias_v, generator=generator)

    # ---------------------------------------------------------------- checks
    def _inputs(self, query: Any, key: Any, value: Any) -> tuple[Tensor, Tensor, Tensor, bool]:
        dtype = self.out_proj.weight.dtype
        q = as_input(_NAME, query, dtype, "query")
        k = as_input(_NAME, key, dtype, "key")
        v = as_input(_NAME, value, dtype, "value")
        batched = q.ndim == 3
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ShapeError(
                f"{_NAME}: query, key and value must all be 3-D (batched) or all 2-D "
                f"(unbatched), got shapes {q.shape}, {k.shape}, {v.shape}"
            )
        sizes: tuple[tuple[str, str, int], ...] = (
            ("query", "embed_dim", self.embed_dim),
            ("key", "kdim", self.kdim),
        )
        sizes += (("value", "vdim", self.vdim),)
        for t, (argument, label, size) in zip((q, k, v), sizes):
            if t.shape[-1] != size:
                raise ShapeError(
                    f"{_NAME}: {argument} has {t.shape[-1]} features (shape {t.shape}), "
                    f"expected {label}={size}"
                )
        if k.shape[:-1] != v.shape[:-1]:
            raise ShapeError(
                f"{_NAME}: key and value must have the same sequence length and batch, got "
                f"shapes {k.shape} and {v.shape}"
            )
        batch_axis = 0 if self.batch_first else 1
        if batched and q.shape[batch_axis] != k.shape[batch_axis]:
            raise ShapeError(
                f"{_NAME}: query and key have different batch sizes, shapes {q.shape} and "
                f"{k.shape}{' (batch_first)' if self.batch_first else ''}"
            )
        return q, k, v, batched

    def _masks(
        self, attn_mask: Any, key_padding_mask: Any, shape: tuple[int, int, int, int], batched: bool
    ) -> Any:
        """The two masks merged into one additive mask broadcasting to (N, heads, L, S)."""
        batch, heads, length, source = shape
        dtype = self.out_proj.weight.dtype
        total: Any = None
        if attn_mask is not None:
            mask = mask_array(_NAME, "attn_mask", attn_mask)
            allowed = [(length, source), (batch * heads, length, source)]
            if tuple(mask.shape) not in allowed:
                raise ShapeError(
                    f"{_NAME}: attn_mask has shape {tuple(mask.shape)}, expected (L, S) = "
                    f"{allowed[0]} or (N * num_heads, L, S) = {allowed[1]}"
                )
            total = additive(mask, dtype, masked_when=True)
            if total.ndim == 3:
                total = total.reshape(batch, heads, length, source)
        if key_padding_mask is not None:
            mask = mask_array(_NAME, "key_padding_mask", key_padding_mask)
            expected = (batch, source) if batched else (source,)
            if tuple(mask.shape) != expected:
                layout = "(N, S)" if batched else "(S,) for unbatched input"
                raise ShapeError(
                    f"{_NAME}: key_padding_mask has shape {tuple(mask.shape)}, expected "
                    f"{layout} = {expected}"
                )
            padding = additive(mask, dtype, masked_when=True).reshape(batch, 1, 1, source)
            total = padding if total is None else total + padding
        return total

    # ---------------------------------------------------------------- running
    def _project(
        self, query: Tensor, key: Tensor, value: Tensor, packed: bool
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Q, K, V; ``packed`` (self-attention) uses one product with in_proj_weight."""
        E, b = self.embed_dim, self.in_proj_bias  # noqa: N806 - PyTorch's letter
        b_q, b_k, b_v = (None, None, None) if b is None else (b[:E], b[E : 2 * E], b[2 * E :])
        if not self._qkv_same_embed_dim:
            return (
                linear(query, self.q_proj_weight, b_q),
                linear(key, self.k_proj_weight, b_k),
                linear(value, self.v_proj_weight, b_v),
            )
        w = self.in_proj_weight
        if packed:
            qkv = linear(query, w, b)
            return qkv[..., :E], qkv[..., E : 2 * E], qkv[..., 2 * E :]
        return (
            linear(query, w[:E], b_q),
            linear(key, w[E : 2 * E], b_k),
            linear(value, w[2 * E :], b_v),
        )

    def _append_keys(self, k: Tensor, v: Tensor, mask: Any) -> tuple[Tensor, Tensor, Any]:
        """add_bias_kv and add_zero_attn: keys and values (N, heads, S, hd) gain a position
        each, and the mask a column of zeros per added key."""
        batch, heads, _, hd = k.shape
        added = 0
        if self.bias_k is not None:
            assert self.bias_v is not None  # the two are made together (add_bias_kv)
            split = (1, 1, heads, hd)  # (1, 1, E) -> per head, broadcast over the batch
            tile = np.zeros((batch, heads, 1, hd), dtype=k.dtype)
            bias_k = self.bias_k.reshape(*split).transpose(0, 2, 1, 3) + tile
            bias_v = self.bias_v.reshape(*split).transpose(0, 2, 1, 3) + tile
            k, v = concatenate([k, bias_k], axis=2), concatenate([v, bias_v], axis=2)
            added += 1
        if self.add_zero_attn:
            zero = Tensor(np.zeros((batch, heads, 1, hd), dtype=k.dtype))
            k, v = concatenate([k, zero], axis=2), concatenate([v, zero], axis=2)
            added += 1
        if mask is not None and added:
            pad = np.zeros((*mask.shape[:-1], added), dtype=k.dtype)
            if isinstance(mask, Tensor):
                mask = concatenate([mask, Tensor(pad)], axis=-1)
            else:
                mask = np.concatenate([mask, pad], axis=-1)
        return k, v, mask

    def _plain_projections(self) -> bool:
        """True when Q, K, V are one product with in_proj_weight and nothing is appended."""
        return self._qkv_same_embed_dim and self.bias_k is None and not self.add_zero_attn

    def _fused_self_attention(
        self, x: Tensor, batched: bool, attn_mask: Any, key_padding_mask: Any, is_causal: bool
    ) -> Tensor | None:
        """Self-attention without returned weights or dropout through one attention op.

        [fast path: fused attention] One product gives Q, K and V side by side (N, L, 3 E);
        one reshape and one transpose make them (3, N, heads, L, head_dim), `split` cuts the
        three apart, and `autograd_lite.attention` does the rest: 8 recorded ops in all
        instead of 21, the same formula. None (the general path) for a mask that requires
        grad.
        """
        E, heads, hd = self.embed_dim, self.num_heads, self.head_dim  # noqa: N806
        if not batched:  # (L, E): a batch of one, sequence first
            x = x.reshape(x.shape[0], 1, E)
        first = self.batch_first and batched  # (N, L, E) rather than (L, N, E)
        batch, length = (x.shape[0], x.shape[1]) if first else (x.shape[1], x.shape[0])
        if is_causal and attn_mask is None:
            attn_mask = ~causal_mask(length, length)
        mask = self._masks(attn_mask, key_padding_mask, (batch, heads, length, length), batched)
        if isinstance(mask, Tensor) and mask.requires_grad:
            return None
        qkv = linear(x, self.in_proj_weight, self.in_proj_bias)
        to_heads, back = (
            ((2, 0, 3, 1, 4), (1, 3, 0, 2, 4)) if first else ((2, 1, 3, 0, 4), (3, 1, 0, 2, 4))
        )
        q, k, v = qkv.reshape(*x.shape[:2], 3, heads, hd).transpose(*to_heads).split(3, axis=0)
        out = attention(q, k, v, mask, math.sqrt(1.0 / hd))  # (1, N, heads, L, head_dim)
        out = self.out_proj(out.transpose(*back).reshape(*x.shape[:2], E))
        return out if batched else out.reshape(length, E)

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        packed = query is key and key is value
        q_in, k_in, v_in, batched = self._inputs(query, key, value)
        drop = self.dropout if self.training else 0.0
        if packed and not need_weights and drop == 0.0 and self._plain_projections():
            fused = self._fused_self_attention(
                q_in, batched, attn_mask, key_padding_mask, is_causal
            )
            if fused is not None:
                return fused, None
        if self.batch_first and batched:  # to (L, N, E), PyTorch's working layout
            q_in, k_in, v_in = (t.transpose(1, 0, 2) for t in (q_in, k_in, v_in))
        elif not batched:
            q_in, k_in, v_in = (t.reshape(t.shape[0], 1, t.shape[1]) for t in (q_in, k_in, v_in))
        q, k, v = self._project(q_in, k_in, v_in, packed)
        length, batch, E = q.shape  # noqa: N806
        source, heads, hd = k.shape[0], self.num_heads, self.head_dim
        if is_causal and attn_mask is None:
            attn_mask = ~causal_mask(length, source)  # PyTorch raises here instead
        mask = self._masks(attn_mask, key_padding_mask, (batch, heads, length, source), batched)
        # (L, N, E) -> (N, heads, L, head_dim)
        q, k, v = (t.reshape(t.shape[0], batch, heads, hd).transpose(1, 2, 0, 3) for t in (q, k, v))
        k, v, mask = self._append_keys(k, v, mask)
        scores = (q * math.sqrt(1.0 / hd)) @ swap_last(k)
        if mask is not None:
            scores = scores + mask
        # PyTorch's two paths: a row with every key masked is NaN when the weights are
        # returned, zeros (scaled_dot_product_attention's safe softmax) when they are not
        out, weights = attend(scores, v, drop, self.generator, safe=not need_weights)
        out = self.out_proj(out.transpose(2, 0, 1, 3).reshape(length, batch, E))
        if self.batch_first and batched:
            out = out.transpose(1, 0, 2)
        elif not batched:
            out = out.reshape(length, E)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, (weights if batched else weights.reshape(weights.shape[1:]))
