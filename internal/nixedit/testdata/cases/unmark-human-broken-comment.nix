# markbot-test: op=unmark line=36 want=not-marked
{
  lib,
  stdenv,
  fetchurl,
  perl,
  gettext,
}:

stdenv.mkDerivation rec {
  pname = "mp3info-classic";
  version = "0.8.5a";

  src = fetchurl {
    url = "https://ibiblio.org/mp3info/mp3info-${version}.tgz";
    hash = "sha256-J4Pl+Fnv6Ekp4vquyC6S9ctJxHQPzEtzpiPruwvqWlw=";
  };

  nativeBuildInputs = [
    perl
    gettext
  ];

  buildFlags = [ "mp3info" ];

  preConfigure = ''
    substituteInPlace Makefile \
      --replace-fail "prefix=/usr/local" "prefix=$out"
  '';

  preInstall = ''
    mkdir -p "$out/bin" "$out/man/man1"
  '';

  meta = {
    description = "MP3 technical info viewer and ID3 1.x tag editor";
    homepage = "https://ibiblio.org/mp3info/";
    license = lib.licenses.gpl2Plus;
    maintainers = [ ];
    platforms = lib.platforms.unix;
    broken = true; # marked broken 2021-03-26
  };
}
