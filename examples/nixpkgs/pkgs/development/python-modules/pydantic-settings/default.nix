{
  lib,
  stdenv,
  buildPythonPackage,
  fetchFromGitHub,
  hatchling,
  pydantic,
  python-dotenv,
  typing-inspection,
  pytestCheckHook,
  pytest-mock,
}:

buildPythonPackage rec {
  pname = "pydantic-settings";
  version = "2.10.1";
  pyproject = true;

  src = fetchFromGitHub {
    owner = "pydantic";
    repo = "pydantic-settings";
    tag = "v${version}";
    hash = "sha256-PcGKu5zVMcCbCTZEm78CbSWmbgsExBECNPBSHJJVPlU=";
  };

  build-system = [ hatchling ];

  dependencies = [
    pydantic
    python-dotenv
    typing-inspection
  ];

  pythonImportsCheck = [ "pydantic_settings" ];

  nativeCheckInputs = [
    pytestCheckHook
    pytest-mock
  ];

  disabledTests = lib.optionals stdenv.hostPlatform.isDarwin [
    # tmp path too long
    "test_secrets_path_with_validation_alias"
  ];

  preCheck = ''
    export HOME=$TMPDIR
  '';

  meta = {
    description = "Settings management using pydantic";
    homepage = "https://github.com/pydantic/pydantic-settings";
    changelog = "https://github.com/pydantic/pydantic-settings/releases/tag/${src.tag}";
    license = lib.licenses.mit;
    maintainers = with lib.maintainers; [
      frank-py
      grace-snake
    ];
  };
}
