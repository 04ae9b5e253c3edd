# markbot-test: op=mark line=27 systems=x86_64-linux,aarch64-darwin want=refused
{ lib, buildPythonPackage, fetchPypi, hatchling, sphinx }:

buildPythonPackage rec {
  pname = "sphinxcontrib-moderncmakedomain";
  version = "3.29.0";
  pyproject = true;

  src = fetchPypi {
    inherit version;
    pname = "sphinxcontrib_moderncmakedomain";
    hash = "sha256-vWjd6yblv8hNES43i16x18HnjBgw1BMi2Rh+gLPSpxI=";
  };

  build-system = [ hatchling ];

  dependencies = [ sphinx ];

  # no tests in the sdist
  doCheck = false;

  pythonImportsCheck = [ "sphinxcontrib.moderncmakedomain" ];

  pythonNamespaces = [ "sphinxcontrib" ];

  meta = {
    description = "Sphinx extension which renders CMake documentation";
    homepage = "https://github.com/scikit-build/moderncmakedomain";
    license = lib.licenses.bsd3;
    maintainers = with lib.maintainers; [ ];
  };
}
