"""Build an artifact as a shared library and call it through cffi: numpy in, numpy out."""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path

import numpy as np

from .errors import BnnccError

COMPILE_FLAGS = ("-std=c99", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror")


def object_cache_dir() -> Path:
    """Where compiled kernel objects are kept between builds ($BNNCC_CACHE_DIR, else ~/.cache/bnncc)."""
    configured = os.environ.get("BNNCC_CACHE_DIR")
    base = Path(configured) if configured else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bnncc"
    return base / "objects"


def build_shared_library(folder: Path, sources: list[str], cflags, compiler: list[str], extra_flags=()) -> Path:
    """Compile the artifact in `folder` into a fresh temporary directory; returns the .so path.

    `compiler` is a command line such as ["cc"] or ["ccache", "gcc"] (a toolchain's compiler()).
    The kernel sources (src/) of an artifact are bnncc's own, so their objects are cached by the
    hash of their text, headers, compiler and flags; only the model's own .c is compiled anew."""
    return link_artifact(folder, sources, cflags, compiler, [*extra_flags, "-fPIC"], ["-shared"], "libmodel.so")


def link_artifact(folder: Path, sources: list[str], cflags, compiler: list[str], extra_flags, link_flags,
                  output: str, extra_sources=(), hosted: bool = True) -> Path:
    """Compile `sources` of the artifact in `folder` (plus `extra_sources`, absolute paths compiled
    without the cache) into a fresh temporary directory and link them with `link_flags`.
    `hosted` False: freestanding code (a board's firmware), built without -pthread."""
    command = compiler_command(compiler)
    out_dir = Path(tempfile.mkdtemp(prefix="bnncc-build-"))
    product = out_dir / output
    threads = ["-pthread"] if hosted else []
    code_flags = [*cflags, *COMPILE_FLAGS, *threads, *extra_flags]
    includes = [f"-I{folder}", f"-I{folder / 'include'}"]
    try:
        # what every cached object depends on besides its own text (the folder's path does not count)
        build_key = hashlib.sha256("\0".join([compiler_version(tuple(command)), *code_flags, *sorted(
            p.read_text() for p in (folder / "include").rglob("*.h"))]).encode()).hexdigest()
        objects = [_compile_object(folder / source, [*command, *code_flags, *includes], out_dir,
                                   build_key if source.startswith("src/") else None)
                   for source in sources]
        objects += [_compile_object(Path(source), [*command, *code_flags, *includes], out_dir, None)
                    for source in extra_sources]
        run_compiler([*command, *link_flags, *threads, *objects, "-o", str(product), "-lm"])
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    return product


def _compile_object(source: Path, command, out_dir: Path, build_key: str | None) -> str:
    """Compile one source; with a build key (kernel sources), through the object cache."""
    if build_key is None:
        target = out_dir / (source.stem + ".o")
        run_compiler([*command, "-c", str(source), "-o", str(target)])
        return str(target)
    text = source.read_text()
    digest = hashlib.sha256(f"{build_key}\0{text}".encode()).hexdigest()[:24]
    cache = object_cache_dir()
    target = cache / f"{source.stem}-{digest}.o"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        partial = out_dir / target.name
        run_compiler([*command, "-c", str(source), "-o", str(partial)])
        shutil.copyfile(partial, f"{target}.{os.getpid()}.tmp")
        os.replace(f"{target}.{os.getpid()}.tmp", target)      # atomic: concurrent builds are safe
    return str(target)


@functools.lru_cache(maxsize=None)
def compiler_version(command: tuple[str, ...]) -> str:
    """`compiler --version` (part of the object cache key: a new compiler rebuilds everything)."""
    return f"{' '.join(command)}\n{_execute([*command, '--version']).stdout}"


def _execute(command) -> subprocess.CompletedProcess:
    """Run a compiler command; a compiler that cannot be started is a clean error naming it."""
    try:
        return subprocess.run(command, capture_output=True, text=True)
    except OSError as exc:
        raise BnnccError(f"cannot run the C compiler {command[0]!r}: {exc.strerror} "
                         "(install a C compiler, or point $CC to one)") from None


def compiler_command(compiler: list[str]) -> list[str]:
    """A compiler command line (["cc"], ["ccache", "gcc"], $CC split), checked to be non-empty."""
    command = list(compiler)
    if not command:
        raise BnnccError("the C compiler command is empty (check $CC)")
    return command


def run_compiler(command, what: str = "the artifact") -> None:
    """Run a compiler command; a failure is one line (its first error), the whole output in .detail."""
    result = _execute(command)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "error" in line] or result.stderr.splitlines()
        first = errors[0].strip() if errors else f"exit status {result.returncode}"
        raise BnnccError(f"the C compiler failed on {what}: {first}", detail=result.stderr[-4000:])


def _unload(ffi, lib, release_threads, folder: Path) -> None:
    """Worker threads sleep inside the library's code: they must stop before dlclose unmaps it."""
    if release_threads is not None:
        release_threads()
    ffi.dlclose(lib)
    shutil.rmtree(folder, ignore_errors=True)


class NativeModel:
    """A loaded artifact: `run(*inputs)` takes batch-first float32 arrays.

    `run` may be called from several Python threads at once: cffi releases the GIL during the
    call, so each calling thread gets its own arena (allocated on its first call). A threaded
    artifact serializes the calls itself (its one team of worker threads runs one call at a time).
    `close()` must not race a `run()`."""

    def __init__(self, library: Path, name: str, signature: str, inputs, outputs, extra_cdef: str = ""):
        import cffi

        self.ffi = cffi.FFI()
        self.ffi.cdef(f"size_t {name}_arena_size(void);\n{signature};\nvoid {name}_release_threads(void);\n"
                      f"{extra_cdef}")
        self.lib = self.ffi.dlopen(str(library))
        self.library_bytes = library.stat().st_size
        self.name, self.inputs, self.outputs = name, inputs, outputs
        self.arena_bytes = int(getattr(self.lib, f"{name}_arena_size")())
        self._arenas = threading.local()
        self._run = getattr(self.lib, f"{name}_run")
        release = getattr(self.lib, f"{name}_release_threads", None)     # threaded artifacts only
        self._unload = weakref.finalize(self, _unload, self.ffi, self.lib, release, library.parent)

    def close(self) -> None:
        """Stops the model's worker threads and unloads its library (also done when it is collected)."""
        self._unload()

    def _thread_arena(self) -> np.ndarray:
        """The calling thread's arena: two calls must never share one while both run."""
        arena = getattr(self._arenas, "arena", None)
        if arena is None:
            arena = self._arenas.arena = np.zeros(self.arena_bytes, dtype=np.uint8)
        return arena

    def run(self, *arrays: np.ndarray, arena: np.ndarray | None = None) -> list[np.ndarray]:
        """Outputs for `arrays`; `arena` (at least arena_bytes bytes, any alignment) replaces the
        calling thread's own, for a caller that manages its arenas itself."""
        if not self._unload.alive:
            raise BnnccError("this model was closed: load or compile it again")
        batch, prepared = prepare_inputs(self.inputs, self.outputs, arrays)
        outputs = empty_outputs(self.outputs, batch)
        pointers = [self.ffi.from_buffer("float[]", a) for a in prepared]
        pointers += [self.ffi.from_buffer("float[]" if o.dtype == np.float32 else "int64_t[]", o) for o in outputs]
        if arena is None:
            arena = self._thread_arena()
        elif arena.nbytes < self.arena_bytes:
            raise BnnccError(f"the arena has {arena.nbytes} bytes, the model needs {self.arena_bytes}")
        status = self._run(batch, *pointers, self.ffi.from_buffer(arena))
        if status != 0:
            raise BnnccError(f"the compiled model returned error {status}")
        return outputs


def prepare_inputs(inputs, outputs, arrays) -> tuple[int, list[np.ndarray]]:
    """(batch, contiguous float32 arrays) for a model's run(), every shape checked against its spec;
    a batched input may come without its batch dimension (one sample)."""
    if len(arrays) != len(inputs):
        raise BnnccError(f"the model takes {len(inputs)} input(s), got {len(arrays)}")
    batch, prepared = None, []
    for spec, array in zip(inputs, arrays):
        array = np.ascontiguousarray(array, dtype=np.float32)
        if spec.batched:
            if array.ndim == len(spec.shape) - 1:
                array = array[None]
            if array.shape[1:] != tuple(spec.shape[1:]):
                raise BnnccError(f"input shape {array.shape} does not match [N, "
                                 f"{', '.join(map(str, spec.shape[1:]))}]")
            count = array.shape[0]
            if batch is not None and count != batch:
                raise BnnccError("all batched inputs must have the same batch size")
            batch = count
        elif array.size != spec.sample_size:           # no batch dimension: one for every sample
            raise BnnccError(f"input shape {array.shape} does not match {list(spec.shape)}")
        prepared.append(array)
    batch = 1 if batch is None else batch
    if batch > 1 and not all(spec.batched for spec in outputs):
        raise BnnccError("this model has an output without a batch dimension: run one sample at a time")
    return batch, prepared


def empty_outputs(outputs, batch: int) -> list[np.ndarray]:
    """Arrays for a run's outputs: batch-first for batched ones, the spec's shape for the others."""
    return [np.empty(((batch,) + tuple(s.shape[1:])) if s.batched else s.shape, dtype=s.dtype) for s in outputs]
