# markbot-test: op=unmark line=40 want=human-changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  meson,
  ninja,
  pkg-config,
  scdoc,
  wayland,
  wayland-scanner,
  libxkbcommon,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "wshowkeys-lite";
  version = "1.0-unstable-2024-01-28";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "wshowkeys";
    rev = "e8bfc78f08ebdd1316daae59ecc77e62bba68b2b";
    hash = "sha256-943J36Uh3qRfGJz6T0LV9MLn6EQxMxBYaxaoLQetZjo=";
  };

  strictDeps = true;
  nativeBuildInputs = [
    meson
    ninja
    pkg-config
    scdoc
    wayland-scanner
  ];
  buildInputs = [
    wayland
    libxkbcommon
  ];

  meta = {
    description = "Displays keys being pressed on a Wayland session";
    homepage = "https://github.com/nixpkgs-fixtures/wshowkeys";
    license = with lib.licenses; [ gpl3Only ];
    maintainers = with lib.maintainers; [ berbiche ];
    platforms = lib.platforms.linux;
    mainProgram = "wshowkeys";
    # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log) -- still fails with libinput 1.29, keep until upstream fixes it
    broken = true;
  };
})
