# markbot-test: op=mark line=51 want=refused
{ lib
, buildPythonPackage
, certifi
, chardet
, fetchPypi
, idna
, pytest-mock
, pytest-xdist
, pytestCheckHook
, urllib3
}:

buildPythonPackage rec {
  pname = "requests";
  version = "2.25.1";

  src = fetchPypi {
    inherit pname version;
    hash = "sha256-wDBS59zLzwI0a4fHNhmNprOQrT49nqSyfVDcd28dZFM=";
  };

  propagatedBuildInputs = [
    certifi
    chardet
    idna
    urllib3
  ];

  nativeCheckInputs = [
    pytest-mock
    pytest-xdist
    pytestCheckHook
  ];

  disabledTests = [
    # Disable tests that require network access and use httpbin
    "requests.api.request"
    "requests.models.PreparedRequest"
    "requests.sessions.Session"
    "test_redirecting_to_bad_url"
    "test_requests_are_updated_each_time"
    "test_should_bypass_proxies_pass_only_hostname"
    "TestRequests"
    "TestTimeout"
  ];

  pythonImportsCheck = [ "requests" ];

  meta = with lib; {
    description = "Simple HTTP library for Python";
    homepage = "http://docs.python-requests.org/en/latest/";
    license = licenses.asl20;
    maintainers = with maintainers; [ fab ];
  };
}
