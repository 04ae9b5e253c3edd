{
  lib,
  buildPythonPackage,
  fetchFromGitHub,
  hatch-fancy-pypi-readme,
  hatchling,
  anyio,
  certifi,
  httpcore,
  idna,
  brotli,
  h2,
  socksio,
  chardet,
  pytestCheckHook,
  pytest-trio,
  trustme,
  uvicorn,
}:

buildPythonPackage rec {
  pname = "httpx";
  version = "0.28.1";
  pyproject = true;

  src = fetchFromGitHub {
    owner = "encode";
    repo = "httpx";
    tag = version;
    hash = "sha256-nu6KwpVPDR9sMlsWYsUX+0PBAD85oxrkv3OwiR9/nio=";
  };

  build-system = [
    hatch-fancy-pypi-readme
    hatchling
  ];

  dependencies = [
    anyio
    certifi
    httpcore
    idna
  ];

  optional-dependencies = {
    brotli = [ brotli ];
    http2 = [ h2 ];
    socks = [ socksio ];
  };

  nativeCheckInputs = [
    chardet
    pytestCheckHook
    pytest-trio
    trustme
    uvicorn
  ]
  ++ lib.flatten (builtins.attrValues optional-dependencies);

  preCheck = ''
    export HOME=$(mktemp -d)
  '';

  disabledTests = [
    # httpcore.ConnectError: [Errno 101] Network is unreachable
    "test_connect_timeout"
    # httpcore.ConnectError: [Errno -2] Name or service not known
    "test_async_proxy_close"
    "test_sync_proxy_close"
  ];

  __darwinAllowLocalNetworking = true;

  pythonImportsCheck = [ "httpx" ];

  meta = {
    changelog = "https://github.com/encode/httpx/blob/${src.tag}/CHANGELOG.md";
    description = "Next generation HTTP client";
    mainProgram = "httpx";
    homepage = "https://github.com/encode/httpx";
    license = lib.licenses.bsd3;
    maintainers = with lib.maintainers; [ frank-py ];
    teams = [ lib.teams.python ];
  };
}
