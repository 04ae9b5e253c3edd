# markbot-test: op=unmark line=33 want=not-marked
{
  lib,
  stdenv,
  fetchFromGitHub,
  cmake,
  qt6,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "qview-lite";
  version = "7.1";

  src = fetchFromGitHub {
    owner = "jurplel";
    repo = "qView";
    rev = finalAttrs.version;
    hash = "sha256-d2QnjCWCWtg2JEqvkOi41eQ+sLgS8XutGoeW3lXu9X0=";
  };

  nativeBuildInputs = [
    cmake
    qt6.wrapQtAppsHook
  ];

  buildInputs = [
    qt6.qtbase
    qt6.qtsvg
    qt6.qtimageformats
  ];

  meta = {
    description = "Practical and minimal image viewer";
    mainProgram = "qview";
    homepage = "https://interversehq.com/qview/";
    license = lib.licenses.gpl3;
    maintainers = with lib.maintainers; [ acowley ];
    platforms = lib.platforms.linux;
  };
})
