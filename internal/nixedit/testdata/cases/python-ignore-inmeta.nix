# markbot-test: op=mark line=40 systems=aarch64-linux want=refused
{
  lib,
  buildPythonPackage,
  fetchFromGitHub,
  setuptools,
  numpy,
  scipy,
  pytestCheckHook,
}:

buildPythonPackage rec {
  pname = "pywavelets-lite";
  version = "1.8.0";
  pyproject = true;

  src = fetchFromGitHub {
    owner = "PyWavelets";
    repo = "pywt";
    tag = "v${version}";
    hash = "sha256-zE9C1721o4tSzlokNu0vlzjGLgnpjiT9lrj9xwcSSbc=";
  };

  build-system = [ setuptools ];

  dependencies = [
    numpy
    scipy
  ];

  nativeCheckInputs = [ pytestCheckHook ];

  preCheck = ''
    cd $out
  '';

  pythonImportsCheck = [ "pywt" ];

  meta = {
    description = "Wavelet transform module";
    homepage = "https://github.com/PyWavelets/pywt";
    license = lib.licenses.mit;
    # aarch64-linux failures are a known upstream flake, see #412345
    maintainers = with lib.maintainers; [ ]; # markbot: ignore
  };
}
