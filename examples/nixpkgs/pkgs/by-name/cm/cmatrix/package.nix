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
    hash = "sha256-qNAdjzP7Vs6+9XBPGrRepr/+KEcv0UkNRK17vVwL54Y=";
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
    maintainers = with maintainers; [
      alice-nix
      bob-builds
    ];
    license = licenses.gpl3Plus;
    mainProgram = "cmatrix";
  };
})
