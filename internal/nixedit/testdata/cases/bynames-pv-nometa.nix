# markbot-test: op=mark line=11 want=changed
{
  lib,
  stdenv,
  fetchurl,
  versionCheckHook,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "pv";
  version = "1.9.31";

  src = fetchurl {
    url = "https://www.ivarch.com/programs/sources/pv-${finalAttrs.version}.tar.gz";
    hash = "sha256-WRaUcAXUTD4ieDIoM0JbNkgU7U9x+RqZRN+o2upaLk8=";
  };

  configureFlags = [
    "--enable-static-nls=no"
  ];

  enableParallelBuilding = true;

  postInstall = ''
    # the upstream install target drops a stray info dir
    rm -rf "$out/share/info"
  '';

  nativeInstallCheckInputs = [ versionCheckHook ];
  doInstallCheck = true;
  versionCheckProgramArg = "--version";
})
