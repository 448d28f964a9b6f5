"""Infinite-width kernels (NNGP and NTK): fully connected, dense ResNet and CNN-Flatten networks
(brief section 1.2)."""

from powertail.nngp.kernels.architecture import ACTIVATIONS, FullyConnected
from powertail.nngp.kernels.blocks import KernelBlocks, kernel_blocks
from powertail.nngp.kernels.conv import ConvFlatten, conv_kernels
from powertail.nngp.kernels.duals import erf_dual, identity_dual, relu_dual
from powertail.nngp.kernels.fc import FCKernels, fc_kernels
from powertail.nngp.kernels.reference import fc_kernels_reference

__all__ = [
    "ACTIVATIONS",
    "ConvFlatten",
    "FCKernels",
    "FullyConnected",
    "KernelBlocks",
    "conv_kernels",
    "erf_dual",
    "fc_kernels",
    "fc_kernels_reference",
    "identity_dual",
    "kernel_blocks",
    "relu_dual",
]
