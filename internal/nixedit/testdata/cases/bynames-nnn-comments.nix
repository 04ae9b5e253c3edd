# markbot-test: op=mark line=68 systems=x86_64-linux,aarch64-darwin want=changed
{
  lib,
  stdenv,
  fetchFromGitHub,
  installShellFiles,
  makeWrapper,
  pkg-config,
  file,
  ncurses,
  readline,
  which,
  musl-fts,
  # options
  withIcons ? false,
  withNerdIcons ? false,
  withPcre ? false,
  pcre,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "nnn";
  version = "5.1";

  src = fetchFromGitHub {
    owner = "jarun";
    repo = "nnn";
    rev = "v${finalAttrs.version}";
    hash = "sha256-B60uPcPfE6qpUYpqwZytOszLRT0kiPxBdyTb6x7sMaM=";
  };

  nativeBuildInputs = [
    installShellFiles
    makeWrapper
    pkg-config
  ];
  buildInputs = [
    readline
    ncurses
  ]
  ++ lib.optional stdenv.hostPlatform.isMusl musl-fts
  ++ lib.optional withPcre pcre;

  env.NIX_CFLAGS_COMPILE = lib.optionalString stdenv.hostPlatform.isMusl "-I${musl-fts}/include";

  makeFlags = [
    "PREFIX=$(out)"
  ]
  ++ lib.optionals withIcons [ "O_ICONS=1" ]
  ++ lib.optionals withNerdIcons [ "O_NERD=1" ]
  ++ lib.optionals withPcre [ "O_PCRE=1" ];

  binPath = lib.makeBinPath [
    file
    which
  ];

  postInstall = ''
    installShellCompletion --bash --name nnn.bash misc/auto-completion/bash/nnn-completion.bash
    installShellCompletion --fish misc/auto-completion/fish/nnn.fish
    installShellCompletion --zsh misc/auto-completion/zsh/_nnn

    wrapProgram $out/bin/nnn --prefix PATH : "$binPath"
  '';

  meta = {
    # upstream calls it "n³"
    description = "Small ncurses-based file browser forked from noice";
    homepage = "https://github.com/jarun/nnn";
    changelog = "https://github.com/jarun/nnn/blob/v${finalAttrs.version}/CHANGELOG";
    license = lib.licenses.bsd2; # BSD-2-Clause, see LICENSE
    platforms = lib.platforms.all;
    maintainers = with lib.maintainers; [
      Br1ght0ne # original packager
      # emilytrau
    ];
    mainProgram = "nnn";
    # TODO: package the plugins as a separate output
  }; # meta
})
