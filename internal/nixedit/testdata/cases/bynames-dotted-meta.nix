# markbot-test: op=mark line=40 want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  meson,
  ninja,
  pkg-config,
  scdoc,
  wayland,
  wayland-protocols,
  wayland-scanner,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "wlr-randr-lite";
  version = "0.4.1";

  src = fetchFromGitHub {
    owner = "emersion";
    repo = "wlr-randr";
    rev = "v${finalAttrs.version}";
    hash = "sha256-hmYMKgFInA09EUpPzNErH9k+D0v02J8xOs9UXHp23cw=";
  };

  strictDeps = true;
  depsBuildBuild = [ pkg-config ];
  nativeBuildInputs = [
    meson
    ninja
    pkg-config
    scdoc
    wayland-scanner
  ];
  buildInputs = [
    wayland
    wayland-protocols
  ];

  meta.description = "Utility to manage outputs of a Wayland compositor";
  meta.homepage = "https://gitlab.freedesktop.org/emersion/wlr-randr";
  meta.license = lib.licenses.mit;
  meta.maintainers = with lib.maintainers; [ ma27 ];
  meta.platforms = lib.platforms.linux;
  meta.mainProgram = "wlr-randr";
})
