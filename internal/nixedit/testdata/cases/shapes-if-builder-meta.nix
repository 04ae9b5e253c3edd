# markbot-test: op=mark line=43 systems=x86_64-darwin,aarch64-darwin want=changed
# A builder that lets its callers pass their own meta (modelled on
# pkgs/servers/http/nginx/generic.nix): the position is the description in
# the else branch, so this package's meta is that set.
outer@{
  lib,
  stdenv,
  fetchurl,
  openssl,
  zlib,
  ...
}:

{
  pname ? "webserver",
  version,
  hash ? null,
  meta ? null,
  passthru ? { },
}:

stdenv.mkDerivation {
  inherit pname version;

  src = fetchurl {
    url = "https://webserver.example.org/download/webserver-${version}.tar.gz";
    inherit hash;
  };

  buildInputs = [
    openssl
    zlib
  ];

  inherit passthru;

  meta =
    if meta != null then
      meta
    else
      with lib;
      {
        description = "Reverse proxy and lightweight webserver";
        homepage = "https://webserver.example.org";
        license = [ licenses.bsd2 ];
        platforms = platforms.all;
        maintainers = with maintainers; [ ];
      };
}
