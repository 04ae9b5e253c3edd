# markbot-test: op=mark line=46 systems=x86_64-linux want=changed
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
    hash = "sha256-DFyxilfG6yozLNkAMmgIcg9EZjLSDEqEsgaaQtOqK/0=";
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

  meta = with lib; {
    homepage = "https://dev.yorhel.nl/ncdu";
    description = "Disk usage analyzer with an ncurses interface";
    changelog = "https://dev.yorhel.nl/ncdu/changes2";
    license = licenses.mit;
    mainProgram = "ncdu";
    maintainers = with maintainers; [
      pSub
      rodrgz
    ];
    inherit (zig.meta) platforms;
    broken = stdenv.hostPlatform.isDarwin; # https://hydra.nixos.org/build/298765432
  };
})
