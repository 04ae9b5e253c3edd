# markbot-test: op=mark line=50 systems=x86_64-linux,aarch64-linux want=changed
{
  lib,
  stdenv,
  buildPythonPackage,
  fetchFromGitHub,
  setuptools,
  llvm,
  libxml2,
  pytestCheckHook,
}:

buildPythonPackage rec {
  pname = "llvmlite";
  version = "0.44.0";
  pyproject = true;

  src = fetchFromGitHub {
    owner = "numba";
    repo = "llvmlite";
    tag = "v${version}";
    hash = "sha256-azg7Lbaa8t7lqRJk1FyuH8GipX/HAZ3K1Oarb+5Xysw=";
  };

  build-system = [ setuptools ];

  buildInputs = [ llvm ] ++ lib.optionals stdenv.hostPlatform.isDarwin [ libxml2 ];

  postPatch = ''
    substituteInPlace llvmlite/tests/test_binding.py \
      --replace-fail "test_linux" "nope"
  '';

  # Set directory containing llvm-config binary
  env.LLVM_CONFIG = "${llvm.dev}/bin/llvm-config";

  nativeCheckInputs = [ pytestCheckHook ];

  # https://github.com/NixOS/nixpkgs/issues/255262
  preCheck = ''
    cd $out
  '';

  __impureHostDeps = lib.optionals stdenv.hostPlatform.isDarwin [ "/usr/lib/libm.dylib" ];

  passthru.llvm = llvm;

  meta = {
    changelog = "https://github.com/numba/llvmlite/blob/v${version}/CHANGE_LOG";
    description = "Lightweight LLVM python binding for writing JIT compilers";
    downloadPage = "https://github.com/numba/llvmlite";
    homepage = "http://llvmlite.pydata.org/";
    license = lib.licenses.bsd2;
    broken = stdenv.hostPlatform.isDarwin;
  };
}
