# markbot-test: op=mark line=46 want=changed
{
  lib,
  stdenv,
  buildGoModule,
  fetchFromGitHub,
  meson,
  ninja,
  pkg-config,
  glib,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "tailtray";
  version = "0.6.0";

  src = fetchFromGitHub {
    owner = "nixpkgs-fixtures";
    repo = "tailtray";
    tag = "v${finalAttrs.version}";
    hash = "sha256-PIroh7xjVlcSOvuBn6vlGpZhbDhHcNuxG0YpdKbG9gw=";
  };

  nativeBuildInputs = [
    meson
    ninja
    pkg-config
  ];
  buildInputs = [ glib ];

  mesonFlags = [ (lib.mesonOption "ctl_path" "${finalAttrs.passthru.ctl}/bin/tailtrayctl") ];

  passthru.ctl = buildGoModule {
    pname = "tailtrayctl";
    inherit (finalAttrs) version src;

    modRoot = "ctl";
    vendorHash = "sha256-xiOfVDZQDrx1XxnWIrWvfp4/cfcI4k+BL2pLSaLinxY=";

    ldflags = [
      "-s"
      "-w"
    ];

    meta = {
      description = "Command-line helper for tailtray";
      license = lib.licenses.gpl3Only;
      mainProgram = "tailtrayctl";
    };
  };

  meta = {
    description = "System tray indicator for Tailscale";
    homepage = "https://github.com/nixpkgs-fixtures/tailtray";
    license = lib.licenses.gpl3Only;
    maintainers = with lib.maintainers; [ ];
    platforms = lib.platforms.linux;
    mainProgram = "tailtray";
  };
})
