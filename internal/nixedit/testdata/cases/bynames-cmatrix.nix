# markbot-test: op=mark line=34 want=already-broken
{
  lib,
  stdenv,
  fetchFromGitHub,
  cmake,
  ncurses,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "cmatrix";
  version = "2.0";

  src = fetchFromGitHub {
    owner = "abishekvashok";
    repo = "cmatrix";
    rev = "v${finalAttrs.version}";
    hash = "sha256-La63MT6qEdAD9qTu2xYPBU887bHGI2tSmuoBljT1YGA=";
  };

  nativeBuildInputs = [ cmake ];
  buildInputs = [ ncurses ];

  cmakeFlags = [
    (lib.cmakeFeature "CMAKE_POLICY_VERSION_MINIMUM" "3.10")
  ];

  postPatch = ''
    substituteInPlace CMakeLists.txt \
      --replace-fail "/usr/lib/kbd/consolefonts" "$out/share/consolefonts"
  '';

  meta = with lib; {
    description = "Simulates the falling characters theme from The Matrix movie";
    longDescription = ''
      CMatrix simulates the display from "The Matrix" and is based
      on the screensaver from the movie's website.
    '';
    homepage = "https://github.com/abishekvashok/cmatrix";
    platforms = ncurses.meta.platforms;
    maintainers = [ maintainers.AndersonTorres ];
    license = licenses.gpl3Plus;
    mainProgram = "cmatrix";
    broken = true; # marked broken 2025-03-26
  };
})
