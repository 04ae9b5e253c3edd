{
  lib,
  stdenv,
  fetchurl,
  ncurses,
  pkg-config,
  zig_0_14,
  zstd,
  installShellFiles,
  versionCheckHook,
}:

let
  zig = zig_0_14;
in
stdenv.mkDerivation (finalAttrs: {
  pname = "ncdu";
  version = "2.8.2";

  src = fetchurl {
    url = "https://dev.yorhel.nl/download/ncdu-${finalAttrs.version}.tar.gz";
    hash = "sha256-AwF9jSsiP2ApgBJS6y+hwJ9N2eKE3hCKHT3oxBCYRA0=";
  };

  nativeBuildInputs = [
    zig.hook
    installShellFiles
    pkg-config
  ];

  buildInputs = [
    ncurses
    zstd
  ];

  postInstall = ''
    installManPage ncdu.1
  '';

  nativeInstallCheckInputs = [ versionCheckHook ];
  doInstallCheck = true;

  meta = {
    homepage = "https://dev.yorhel.nl/ncdu";
    description = "Disk usage analyzer with an ncurses interface";
    changelog = "https://dev.yorhel.nl/ncdu/changes2";
    license = lib.licenses.mit;
    mainProgram = "ncdu";
    maintainers = with lib.maintainers; [
      ivan-sys
      carol-dev
    ];
    inherit (zig.meta) platforms;
    # zig's linker cannot produce a working binary against the macOS SDK yet
    broken = stdenv.hostPlatform.isDarwin;
  };
})
