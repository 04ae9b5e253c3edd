# markbot-test: op=unmark line=34 systems=aarch64-linux want=human-changed
{
  lib,
  stdenv,
  buildPythonPackage,
  fetchPypi,
  setuptools,
  cython,
  numpy,
}:

buildPythonPackage rec {
  pname = "pyerfa-lite";
  version = "2.0.1.5";
  pyproject = true;

  src = fetchPypi {
    inherit pname version;
    hash = "sha256-i5PpzHWWDXq4rsPpP3GWbw9L+8kSw2oJn63WVSrAi3Q=";
  };

  build-system = [
    setuptools
    cython
  ];

  dependencies = [ numpy ];

  env.NIX_CFLAGS_COMPILE = lib.optionalString stdenv.hostPlatform.isDarwin "-Wno-error=implicit-function-declaration";

  pythonImportsCheck = [ "erfa" ];

  meta = {
    description = "Python bindings for ERFA routines";
    homepage = "https://github.com/liberfa/pyerfa";
    license = lib.licenses.bsd3;
    maintainers = [ ];
    # markbot: also broken on aarch64-linux since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = lib.versionAtLeast numpy.version "3";
  };
}
