"""Compile TVM's generated CUDA source with IEEE float semantics, through nvcc or NVRTC.

TVM's own CUDA compile callback adds `--use_fast_math`, which lets the compiler contract
`x * s + b` into one fused multiply-add (one rounding instead of the reference's two), flush
denormals to zero and use approximate division, square root and exponentials. A fused
multiply-add in the affine map before a threshold moves values across it, so the output bits
would no longer be the reference's. bnncc builds every CUDA module with

    --fmad=false --prec-div=true --prec-sqrt=true --ftz=false      (and no --use_fast_math)

so each float operation of a kernel is the IEEE operation the reference rounds.

Compilers, in order: nvcc when it is on PATH (or `$CUDA_HOME/bin`), else NVRTC from the pip
packages `cuda-bindings` + `nvidia-cuda-nvrtc` (+ `nvidia-cuda-cccl` for the `cuda/std` headers
the generated source includes under NVRTC). `BNNCC_CUDA_COMPILER=nvcc|nvrtc` forces one.

Building without a GPU. TVM compiles a module's CUDA source into a binary at build time only
when its CUDA runtime library (libtvm_runtime_cuda.so) is loaded; otherwise it keeps the source
and compiles it when the library is loaded, which would need a compiler on every machine that
runs the model. That library links the CUDA driver, libcuda.so.1, which a machine without a GPU
lacks. `enable_cuda_modules` then loads a stand-in driver whose nine entry points (the ones
the library imports) report "no device", so the library loads, and the exported .so holds the
compiled fatbin/cubin. The stand-in is only for building: a process that has loaded it cannot
run CUDA code, and one with a real driver never loads it.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

EXACT_FLAGS = ["--fmad=false", "--prec-div=true", "--prec-sqrt=true", "--ftz=false"]


class CudaCompilerMissing(RuntimeError):
    """Neither nvcc nor a usable NVRTC is installed."""


def find_nvcc() -> str | None:
    found = shutil.which("nvcc")
    if found:
        return found
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if home and (Path(home) / "bin" / "nvcc").is_file():
            return str(Path(home) / "bin" / "nvcc")
    return None


def nvrtc_available() -> bool:
    try:
        from cuda.bindings import nvrtc  # noqa: F401
    except ImportError:
        return False
    return _cccl_include() is not None


def available_compiler() -> str | None:
    """'nvcc', 'nvrtc' or None: the compiler `compile_cuda` would use."""
    forced = os.environ.get("BNNCC_CUDA_COMPILER")
    if forced in ("nvcc", "nvrtc"):
        return forced
    if find_nvcc():
        return "nvcc"
    if nvrtc_available():
        return "nvrtc"
    return None


def compile_cuda(code: str, arch: str) -> bytes:
    """The device binary of `code` for `arch` (e.g. 'sm_90'): a fatbin (nvcc) or cubin (NVRTC)."""
    compiler = available_compiler()
    if compiler == "nvcc":
        return _nvcc(code, arch)
    if compiler == "nvrtc":
        return _nvrtc(code, arch)
    raise CudaCompilerMissing("no CUDA compiler: install the CUDA toolkit (nvcc) or "
                              "pip install cuda-bindings nvidia-cuda-nvrtc nvidia-cuda-cccl")


def _nvcc(code: str, arch: str) -> bytes:
    """A fatbin with the SASS for `arch` and its PTX (which newer GPUs' drivers can JIT)."""
    number = arch.removeprefix("sm_")
    with tempfile.TemporaryDirectory(prefix="bnncc-nvcc-") as work:
        source, target = Path(work) / "kernels.cu", Path(work) / "kernels.fatbin"
        source.write_text(code)
        command = [find_nvcc(), "--fatbin", "-O3", "-gencode", f"arch=compute_{number},code=sm_{number}",
                   "-gencode", f"arch=compute_{number},code=compute_{number}", *EXACT_FLAGS,
                   "-o", str(target), str(source)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nvcc failed ({' '.join(command)}):\n{done.stdout}{done.stderr}")
        return target.read_bytes()


def _cccl_include() -> str | None:
    """The folder holding cuda/std/cstdint: the nvidia-cuda-cccl package, or a toolkit's."""
    candidates = []
    try:
        import nvidia
        for root in nvidia.__path__:
            candidates += [Path(root) / "cu13" / "include" / "cccl", Path(root) / "cuda_cccl" / "include",
                           Path(root) / "cu13" / "include", Path(root) / "cccl" / "include"]
    except ImportError:
        pass
    for home in (os.environ.get("CUDA_HOME"), "/usr/local/cuda"):
        if home:
            candidates += [Path(home) / "include" / "cccl", Path(home) / "include"]
    return next((str(c) for c in candidates if (c / "cuda" / "std" / "cstdint").is_file()), None)


def _nvrtc(code: str, arch: str) -> bytes:
    """NVRTC without TVM's fast-math defaults: the same source, the exact flags, a cubin."""
    from cuda.bindings import nvrtc

    def check(result):
        status, *values = result
        if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
            raise RuntimeError(f"NVRTC failed: {status}")
        return values

    (program,) = check(nvrtc.nvrtcCreateProgram(code.encode(), b"bnncc_kernels.cu", 0, None, None))
    options = [f"--gpu-architecture={arch}", "-default-device", *EXACT_FLAGS]
    include = _cccl_include()
    if include:
        options.append(f"-I{include}")
    try:
        (status,) = nvrtc.nvrtcCompileProgram(program, len(options), [o.encode() for o in options])
        if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
            (size,) = check(nvrtc.nvrtcGetProgramLogSize(program))
            log = bytearray(size)
            nvrtc.nvrtcGetProgramLog(program, log)
            raise RuntimeError(f"NVRTC compilation failed: {log.decode(errors='replace')}")
        (size,) = check(nvrtc.nvrtcGetCUBINSize(program))
        cubin = bytearray(size)
        check(nvrtc.nvrtcGetCUBIN(program, cubin))
        return bytes(cubin)
    finally:
        nvrtc.nvrtcDestroyProgram(program)


DRIVER_STAND_IN = """/* bnncc: a stand-in for the CUDA driver on a machine without a GPU (building only). */
#define NO_DEVICE 100
int cuDeviceGetName(void) { return NO_DEVICE; }
int cuFuncSetAttribute(void) { return NO_DEVICE; }
int cuGetErrorName(int e, const char **s) { (void)e; *s = "CUDA_ERROR_NO_DEVICE"; return 0; }
int cuGetErrorString(int e, const char **s) { (void)e; *s = "no CUDA driver (bnncc build stand-in)"; return 0; }
int cuLaunchKernelEx(void) { return NO_DEVICE; }
int cuModuleGetFunction(void) { return NO_DEVICE; }
int cuModuleLoadData(void) { return NO_DEVICE; }
int cuModuleUnload(void) { return NO_DEVICE; }
int cuTensorMapEncodeTiled(void) { return NO_DEVICE; }
"""


def _cache_dir() -> Path:
    root = os.environ.get("BNNCC_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "bnncc")
    return Path(root) / "tvm"


def _driver_stand_in() -> Path:
    """The stand-in libcuda.so.1, compiled once with the system C compiler into the cache."""
    digest = hashlib.sha256(DRIVER_STAND_IN.encode()).hexdigest()[:16]
    folder = _cache_dir() / f"cuda-stand-in-{digest}"
    library = folder / "libcuda.so.1"
    if not library.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as work:
            source = Path(work) / "stand_in.c"
            source.write_text(DRIVER_STAND_IN)
            built = Path(work) / "libcuda.so.1"
            subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o",
                            str(built), str(source)], check=True, capture_output=True)
            os.replace(built, library)
    return library


def enable_cuda_modules() -> bool:
    """Make TVM build CUDA modules into binaries here (see the module docstring). Returns False
    when TVM's CUDA runtime library cannot be loaded even so."""
    import tvm_ffi

    from .runner import load_tvm_cuda_runtime

    if tvm_ffi.get_global_func("ffi.Module.create.cuda", allow_missing=True) is not None:
        return True
    try:
        ctypes.CDLL("libcuda.so.1", mode=ctypes.RTLD_GLOBAL)
    except OSError:
        ctypes.CDLL(str(_driver_stand_in()), mode=ctypes.RTLD_GLOBAL)
    load_tvm_cuda_runtime()
    return tvm_ffi.get_global_func("ffi.Module.create.cuda", allow_missing=True) is not None


@contextlib.contextmanager
def _environment(**values):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def exact_cuda_compiler(arch: str, sources: list[str] | None = None, compile_code: bool = True):
    """Within this block TVM compiles CUDA with `compile_cuda` (exact flags); the generated sources
    are appended to `sources` when given. With compile_code False nothing is compiled (the module
    holds a placeholder, for looking at the source where no CUDA compiler is installed). TVM's own
    callback is put back afterwards."""
    import tvm_ffi

    name = "tvm_callback_cuda_compile"
    previous = tvm_ffi.get_global_func(name, allow_missing=True)

    def callback(code, *_target):
        if sources is not None:
            sources.append(code)
        return bytearray(compile_cuda(code, arch) if compile_code else b"\0")

    tvm_ffi.register_global_func(name, callback, override=True)
    try:
        yield
    finally:
        if previous is not None:
            tvm_ffi.register_global_func(name, previous, override=True)
