# markbot-test: op=mark line=44 want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  meson,
  ninja,
  pkg-config,
  gtk4,
  libadwaita,
  wrapGAppsHook4,
  desktop-file-utils,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "dialect-lite";
  version = "2.6.0";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "dialect-lite";
    tag = finalAttrs.version;
    hash = "sha256-tKeczyTqe2I6dAvaVrDfOhPzdxtyIk42rVevvTY95t8=";
  };

  nativeBuildInputs = [
    meson
    ninja
    pkg-config
    wrapGAppsHook4
    desktop-file-utils
  ];

  buildInputs = [
    gtk4
    libadwaita
  ];

  postPatch = ''
    patchShebangs build-aux/meson/postinstall.py
  '';

  meta = {
    description = "Translation app for GNOME";
    homepage = "https://github.com/nixpkgs-fixtures/dialect-lite";
    license = lib.licenses.gpl3Plus;
    mainProgram = "dialect";
    maintainers = with lib.maintainers; [ aleksana ];
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
    broken = stdenv.hostPlatform.isDarwin; # gtk4 on darwin, https://hydra.nixos.org/build/290000001
  };
})
