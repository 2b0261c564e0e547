"""The TVM artifact folder: the built library, its manifest and a README, written atomically.

    <folder>/<name>.so      the Relax VM executable with its kernels (host code, and for CUDA the
                            compiled device code) and the weights, from `export_library`
    <folder>/bnncc.json     the manifest: what the library is and how to call it
    <folder>/README.md      how to load it from Python and from C++ (TVM runtime only)

The folder goes through `bnncc.output_folder.OutputFolder` (a staging folder beside the
destination, swapped in by one rename), so a failed build leaves the old folder untouched.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..frontend.importer import TensorSpec
from ..output_folder import MANIFEST, OutputFolder

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


def write_folder(path: str | os.PathLike, executable, manifest_data: dict, force: bool = False,
                 keep: dict | None = None) -> Path:
    """Export `executable` and write the manifest and README into `path`, atomically."""
    with OutputFolder(path, force, keep) as folder:
        executable.export_library(str(folder.staging / manifest_data["library"]))
        return folder.commit({MANIFEST: json.dumps(manifest_data, indent=2) + "\n",
                              "README.md": readme(manifest_data)})


def read_manifest(folder: str | os.PathLike) -> dict:
    data = json.loads((Path(folder) / MANIFEST).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{folder} is not a bnncc TVM artifact (its {MANIFEST} has format {data.get('format')!r})")
    return data


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
#include <tvm/ffi/function.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/runtime/tensor.h>

namespace ffi = tvm::ffi;
ffi::Module executable = ffi::Module::LoadFromFile("{library}");
ffi::Module vm = executable->GetFunction("vm_load_executable").value()().cast<ffi::Module>();
// devices: ({'kDLCUDA' if device == 'cuda' else 'kDLCPU'}, 0) for the kernels, then (kDLCPU, 0) for the shape code;
// allocator 2 = pooled
vm->GetFunction("vm_initialization").value()({'(int)kDLCUDA' if device == 'cuda' else '(int)kDLCPU'}, 0, 2, (int)kDLCPU, 0, 2);
ffi::Function main = vm->GetFunction("main").value();
// inputs: tvm::runtime::Tensor on the device, e.g. Tensor::Empty(shape, DLDataType{{kDLFloat, 32, 1}}, device)
ffi::Array<ffi::Any> outputs = main(input0).cast<ffi::Array<ffi::Any>>();
```

Link against `libtvm_runtime.so` and `libtvm_ffi.so` (both in the apache-tvm / apache-tvm-ffi
wheels, `tvm/lib` and `tvm_ffi/lib`){" and load `libtvm_runtime_cuda.so` (beside libtvm_runtime.so) before the executable" if device == "cuda" else ""}.

## Exactness

Binary layers compute the reference's integers exactly (XOR + popcount on packed words, zero
padding masked out); per-channel affine maps round each multiplication and addition as the
reference does (no fused multiply-add), and thresholds compare the same float32 values. Float
layers (stem, shortcuts, classifier) run as TVM's own operators: their results agree with the
reference within float32 rounding.
"""
