# markbot-test: op=mark line=34 systems=aarch64-linux want=refused
{
  lib,
  stdenv,
  fetchurl,
  lzip,
  runtimeShellPackage,
}:

stdenv.mkDerivation rec {
  pname = "ed";
  version = "1.21";

  src = fetchurl {
    url = "mirror://gnu/ed/ed-${version}.tar.lz";
    hash = "sha256-CagsLkoBagKBwKgJ4exg4vmZNB4meXZ6uX5F8zPMauw=";
  };

  nativeBuildInputs = [ lzip ];
  buildInputs = [ runtimeShellPackage ];

  configureFlags = [
    "CC=${stdenv.cc.targetPrefix}cc"
  ];

  doCheck = true;

  postInstall = ''
    # the test suite leaves a temporary file behind on some builders
    rm -f "$out/share/info/dir"
  '';

  meta = {
    description = "GNU ed, an implementation of the standard Unix editor";
    longDescription = ''
      GNU ed is a line-oriented text editor.  It is used to create,
      display, modify and otherwise manipulate text files, both
      interactively and via shell scripts.
    '';
    license = lib.licenses.gpl3Plus;
    homepage = "https://www.gnu.org/software/ed/";
    maintainers = [ ];
    platforms = lib.platforms.unix;
    mainProgram = "ed";
  };
}
