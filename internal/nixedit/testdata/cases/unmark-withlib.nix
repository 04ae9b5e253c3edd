# markbot-test: op=unmark line=35 want=changed
{
  lib,
  stdenv,
  fetchurl,
  ncurses,
  gpm,
}:

stdenv.mkDerivation rec {
  pname = "jed-lite";
  version = "0.99-19";

  src = fetchurl {
    url = "https://www.jedsoft.org/releases/jed/jed-${version}.tar.bz2";
    hash = "sha256-MOik2GLwonou/faZ1OB0A7xvF0phy/P+bGsIiZPKPbk=";
  };

  buildInputs = [ ncurses ] ++ lib.optional stdenv.hostPlatform.isLinux gpm;

  configureFlags = [
    "CC=${stdenv.cc.targetPrefix}cc"
    "JED_ROOT=${placeholder "out"}/share/jed"
  ];

  makeFlags = [ "RANLIB=${stdenv.cc.targetPrefix}ranlib" ];

  postPatch = ''
    for f in autoconf/Makefile.in src/Makefile.in; do
      substituteInPlace "$f" --replace-fail '$(prefix)' "''${out}"
    done
  '';

  meta = with lib; {
    description = "Programmers editor with S-Lang scripting";
    homepage = "https://www.jedsoft.org/jed/";
    license = licenses.gpl2Plus;
    maintainers = with maintainers; [ ];
    platforms = platforms.unix;
    mainProgram = "jed";
    # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = true;
  };
}
