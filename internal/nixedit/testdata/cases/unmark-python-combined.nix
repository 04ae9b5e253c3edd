# markbot-test: op=unmark line=46 systems=x86_64-darwin,aarch64-darwin want=changed
{
  lib,
  stdenv,
  buildPythonPackage,
  fetchFromGitHub,
  hatchling,
  pydantic,
  typing-extensions,
  pytestCheckHook,
  pytest-asyncio,
}:

buildPythonPackage rec {
  pname = "pydantic-extra-types-lite";
  version = "2.10.5";
  pyproject = true;

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "pydantic-extra-types-lite";
    tag = "v${version}";
    hash = "sha256-O3HU6JHVZLRN07IeAF4Of7lYgj0HENMAmV0CZrkAP+s=";
  };

  build-system = [ hatchling ];

  dependencies = [
    pydantic
    typing-extensions
  ];

  nativeCheckInputs = [
    pytestCheckHook
    pytest-asyncio
  ];

  disabledTests = lib.optionals stdenv.hostPlatform.isDarwin [
    # needs the system timezone database
    "test_timezone_name"
  ];

  pythonImportsCheck = [ "pydantic_extra_types" ];

  meta = {
    description = "Extra Pydantic types";
    homepage = "https://github.com/nixpkgs-fixtures/pydantic-extra-types-lite";
    changelog = "https://github.com/nixpkgs-fixtures/pydantic-extra-types-lite/blob/${src.tag}/HISTORY.md";
    license = lib.licenses.mit;
    maintainers = with lib.maintainers; [ ];
    # markbot: also broken on x86_64-darwin, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = lib.versionOlder pydantic.version "2.0.0" || stdenv.hostPlatform.isDarwin;
  };
}
