# markbot-test: op=mark line=64 want=already-broken
{
  lib,
  stdenv,
  buildPythonPackage,
  fetchPypi,
  setuptools,
  setuptools-rust,
  rustPlatform,
  cffi,
  openssl,
  pkg-config,
  pytestCheckHook,
}:

buildPythonPackage rec {
  pname = "pyca-legacy-hazmat";
  version = "3.4.8";
  pyproject = true;

  src = fetchPypi {
    inherit pname version;
    hash = "sha256-C5ichyABmeiaLxgisra7cDQraVhjg9QongkIuWRZKQo=";
  };

  cargoDeps = rustPlatform.fetchCargoVendor {
    inherit pname version src;
    sourceRoot = "${pname}-${version}/src/rust";
    hash = "sha256-33KqT0h1CIi5uniKFmRGVfLWQxlvWpUE65wqGFpGYgY=";
  };

  cargoRoot = "src/rust";

  build-system = [
    setuptools
    setuptools-rust
  ];

  nativeBuildInputs = [
    rustPlatform.cargoSetupHook
    rustPlatform.rust.cargo
    rustPlatform.rust.rustc
    pkg-config
  ];

  buildInputs = [ openssl ];

  dependencies = [ cffi ];

  nativeCheckInputs = [ pytestCheckHook ];

  pytestFlags = [ "--disable-pytest-warnings" ];

  disabledTestPaths = [
    # save compute time by not running benchmarks
    "tests/bench"
  ]
  ++ lib.optionals stdenv.hostPlatform.isDarwin [
    # aarch64-darwin forbids W+X memory
    "tests/hazmat/backends/test_openssl_memleak.py"
  ];

  meta = {
    description = "Package which provides cryptographic recipes and primitives (legacy branch)";
    homepage = "https://github.com/pyca/cryptography";
    license = with lib.licenses; [
      asl20
      bsd3
      psfl
    ];
    maintainers = with lib.maintainers; [ SuperSandro2000 ];
    # does not build with current openssl, kept for reverse dependencies
    broken = true;
  };
}
