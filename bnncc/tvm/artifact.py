"""The TVM artifact folder: the built library, its manifest and a README, written atomically.

    <folder>/<name>.so      the Relax VM executable with its kernels (host code, and for CUDA the
                            compiled device code) and the weights, from `export_library`
    <folder>/bnncc.json     the manifest: what the library is and how to call it
    <folder>/README.md      how to load it from Python and from C++ (TVM runtime only)

`bnncc.compile` writes these files like any artifact's (bnncc.output_folder: a staging folder
beside the destination, swapped in by one rename), so a failed build leaves the old folder untouched.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..frontend.importer import TensorSpec
from ..output_folder import MANIFEST

FORMAT = "bnncc-tvm"
FORMAT_VERSION = 1


def tensor_entry(spec: TensorSpec, batch: int | None) -> dict:
    """A manifest input/output: its shape with the batch as null (any size) or its fixed size."""
    shape = list(spec.shape)
    if spec.batched:
        shape[0] = batch
    return {"name": spec.name, "shape": shape, "dtype": str(spec.dtype), "batched": spec.batched}


def manifest(name: str, target: str, tvm_target: dict, library: str, inputs, outputs, batch: int | None,
             kernels: dict, weight_bytes: dict) -> dict:
    import tvm

    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "name": name, "target": target, "tvm_target": tvm_target, "tvm_version": tvm.__version__,
        "library": library, "entry": "main",
        "batch": {"dimension": 0, "size": batch,
                  "rule": "the first dimension of every batched input and output is the batch; "
                          + ("any size" if batch is None else f"exactly {batch}")},
        "inputs": [tensor_entry(s, batch) for s in inputs],
        "outputs": [tensor_entry(s, batch) for s in outputs],
        "kernels": dict(kernels), "weight_bytes": dict(weight_bytes),
    }


def files(executable, manifest_data: dict) -> dict[str, str | bytes]:
    """The folder's files: the exported library (bytes), the manifest and the README."""
    with tempfile.TemporaryDirectory(prefix="bnncc-tvm-export-") as folder:
        library = Path(folder) / manifest_data["library"]
        executable.export_library(str(library))
        data = library.read_bytes()
    return {manifest_data["library"]: data, MANIFEST: json.dumps(manifest_data, indent=2) + "\n",
            "README.md": readme(manifest_data)}


def read_manifest(folder: str | os.PathLike) -> dict:
    data = json.loads((Path(folder) / MANIFEST).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{folder} is not a bnncc TVM artifact (its {MANIFEST} has format {data.get('format')!r})")
    return data


def cpp_program(data: dict) -> str:
    """A complete C++ program that loads the library and runs `main` on zeros (tested for llvm)."""
    cuda = data["target"] == "tvm-cuda"
    first = data["inputs"][0]
    shape = [2 if d is None else d for d in first["shape"]]
    count = 1
    for d in shape:
        count *= d
    output = data["outputs"][0]
    out_count = 1
    for d in output["shape"]:
        out_count *= 2 if d is None else d
    out_type = "int64_t" if output["dtype"] == "int64" else "float"
    allocator = """struct DeviceAlloc {
  void AllocData(DLTensor* t) { cudaMalloc(&t->data, ffi::GetDataSize(*t)); }
  void FreeData(DLTensor* t) { cudaFree(t->data); }
};""" if cuda else """struct DeviceAlloc {
  void AllocData(DLTensor* t) { t->data = std::malloc(ffi::GetDataSize(*t)); }
  void FreeData(DLTensor* t) { std::free(t->data); }
};"""
    fill = (f"std::vector<float> host({count}, 0.0f);\n  cudaMemcpy(x.data_ptr(), host.data(), {count} * sizeof(float), "
            "cudaMemcpyHostToDevice);") if cuda else \
        f"for (int i = 0; i < {count}; ++i) static_cast<float*>(x.data_ptr())[i] = 0.0f;"
    read = (f"std::vector<{out_type}> result({out_count});\n  cudaMemcpy(result.data(), y.data_ptr(), {out_count} * "
            f"sizeof({out_type}), cudaMemcpyDeviceToHost);") if cuda else \
        f"const {out_type}* result = static_cast<const {out_type}*>(y.data_ptr());"
    device = "kDLCUDA" if cuda else "kDLCPU"
    extra_include = "#include <cuda_runtime.h>\n#include <vector>\n" if cuda else "#include <cstdlib>\n"
    return f"""// {data['name']}: run `main` of {data['library']} on zeros, print output 0 ({output['name']})
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>
{extra_include}#include <cstdio>

namespace ffi = tvm::ffi;

{allocator}

int main() {{
  DLDevice device{{{device}, 0}};
  ffi::Module executable = ffi::Module::LoadFromFile("./{data['library']}");   // a path: dlopen does not search the current folder
  ffi::Module vm = executable->GetFunction("vm_load_executable").value()().cast<ffi::Module>();
  // (device type, id, allocator) of the kernels' device, then of the CPU; allocator 2: pooled
  vm->GetFunction("vm_initialization").value()(static_cast<int>({device}), 0, 2, static_cast<int>(kDLCPU), 0, 2);
  ffi::Function run = vm->GetFunction("main").value();

  ffi::Tensor x = ffi::Tensor::FromNDAlloc(DeviceAlloc(), ffi::Shape({{{", ".join(map(str, shape))}}}),
                                           DLDataType{{kDLFloat, 32, 1}}, device);
  {fill}
  ffi::Array<ffi::Any> outputs = run(x).cast<ffi::Array<ffi::Any>>();   // one entry per model output
  ffi::Tensor y = outputs[0].cast<ffi::Tensor>();
  {read}
  for (int i = 0; i < {out_count}; ++i) std::printf("%g ", static_cast<double>(result[i]));
  std::printf("\\n");
  return 0;
}}
"""


def cuda_note(device: str) -> str:
    if device != "cuda":
        return ""
    return (" For a tvm-cuda library also load `libtvm_runtime_cuda.so` (beside\nlibtvm_runtime.so, "
            "e.g. `dlopen(path, RTLD_NOW | RTLD_GLOBAL)` or link it) before `LoadFromFile`: it\nregisters the "
            "loader of the CUDA kernels.")


def readme(data: dict) -> str:
    """How to load and call the library, from Python and from C++."""
    device = "cuda" if data["target"] == "tvm-cuda" else "cpu"
    library = data["library"]
    batch = "any batch size" if data["batch"]["size"] is None else f"a batch of exactly {data['batch']['size']}"

    def describe(entries):
        return "\n".join(f"| {i} | `{e['name']}` | {e['shape']} | {e['dtype']} |" for i, e in enumerate(entries))

    return f"""# {data['name']} — bnncc TVM artifact ({data['target']})

`{library}` is a Relax virtual-machine executable built by bnncc with apache-tvm {data['tvm_version']}
for `{json.dumps(data['tvm_target'])}`. It holds the kernels (the binary layers as XOR-popcount
kernels on bit-packed words), the weights and the schedule of the whole network. Loading it
needs only TVM's runtime (`libtvm_runtime.so`{", `libtvm_runtime_cuda.so` and a CUDA driver" if device == "cuda" else ""}),
not the TVM compiler.

Inputs and outputs are float32 (argmax outputs int64), batch first; `null` in a shape is the
batch: the library takes {batch}. The function `main` takes the inputs in this order and
returns a tuple of the outputs.

| input | name | shape | dtype |
|---|---|---|---|
{describe(data['inputs'])}

| output | name | shape | dtype |
|---|---|---|---|
{describe(data['outputs'])}

## Python

```python
import numpy as np
import tvm                                  # apache-tvm, or its runtime only: TVM_USE_RUNTIME_LIB=1
from tvm.runtime.vm import VirtualMachine

device = tvm.{device}(0)
vm = VirtualMachine(tvm.runtime.load_module("{library}"), device)
x = tvm.runtime.tensor(np.zeros({[d if d is not None else 4 for d in data['inputs'][0]['shape']]}, "float32"), device)
outputs = vm["main"](x)                     # a tuple: outputs[0].numpy(), ...
```

With bnncc installed, `bnncc.tvm.load("<this folder>").run(x)` does the same with numpy in and out
(`bnncc/tvm/runner.py` is the whole of it, and needs nothing but numpy and the TVM runtime).

## C++ (TVM runtime)

```c++
{cpp_program(data)}```

Build: `g++ -std=c++17 -I$TVM_FFI/include main.cc -L$TVM_FFI/lib -L$TVM/lib -ltvm_ffi -ltvm_runtime{" -lcudart" if device == "cuda" else ""}`
with `$TVM_FFI` and `$TVM` the `tvm_ffi` and `tvm` folders of the apache-tvm-ffi and apache-tvm
wheels (`python -c "import tvm_ffi, os; print(os.path.dirname(tvm_ffi.__file__))"`), and the same
folders on the library path at run time.{cuda_note(device)}

## Exactness

Binary layers compute the reference's integers exactly (XOR + popcount on packed words, zero
padding masked out); per-channel affine maps round each multiplication and addition as the
reference does (no fused multiply-add), and thresholds compare the same float32 values. Float
layers (stem, shortcuts, classifier) run as TVM's own operators: their results agree with the
reference within float32 rounding.
"""
