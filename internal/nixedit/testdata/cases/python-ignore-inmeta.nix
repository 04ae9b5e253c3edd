# markbot-test: op=mark line=@L@ systems=aarch64-linux want=refused
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
    hash = "sha256-@H@";
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
    description = "Wavelet transform module"; #@T
    homepage = "https://github.com/PyWavelets/pywt";
    license = lib.licenses.mit;
    # aarch64-linux failures are a known upstream flake, see #412345
    maintainers = with lib.maintainers; [ ]; # markbot: ignore
  };
}
