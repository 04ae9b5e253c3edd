{
  lib,
  buildGoModule,
  fetchFromGitHub,
  runtimeShell,
  installShellFiles,
  bc,
  ncurses,
  testers,
  fzf,
}:

buildGoModule rec {
  pname = "fzf";
  version = "0.65.2";

  src = fetchFromGitHub {
    owner = "junegunn";
    repo = "fzf";
    rev = "v${version}";
    hash = "sha256-sF/XY34VJejAcRV1f2XICV3hZ0PN9amR8zt29t0yer0=";
  };

  vendorHash = "sha256-Lm5dy8dGGue5HSLSko6mpQ44xz1g//5pxWgDHKfUhfs=";

  env.CGO_ENABLED = 0;

  outputs = [
    "out"
    "man"
  ];

  nativeBuildInputs = [ installShellFiles ];

  buildInputs = [ ncurses ];

  ldflags = [
    "-s"
    "-w"
    "-X main.version=${version} -X main.revision=${src.rev}"
  ];

  # fzf-tmux depends on bc
  postPatch = ''
    substituteInPlace bin/fzf-tmux \
      --replace-fail "bc" "${lib.getExe bc}"
  '';

  postInstall = ''
    install bin/fzf-tmux $out/bin
    installManPage man/man1/fzf.1 man/man1/fzf-tmux.1

    cat <<SCRIPT > $out/bin/fzf-share
    #!${runtimeShell}
    # Run this script to find the fzf shared folder where all the shell
    # integration scripts are living.
    echo $out/share/fzf
    SCRIPT
    chmod +x $out/bin/fzf-share
  '';

  passthru.tests.version = testers.testVersion {
    package = fzf;
  };

  meta = {
    changelog = "https://github.com/junegunn/fzf/blob/${src.rev}/CHANGELOG.md";
    description = "Command-line fuzzy finder written in Go";
    homepage = "https://github.com/junegunn/fzf";
    license = lib.licenses.mit;
    maintainers = with lib.maintainers; [
      dave-go
      alice-nix
    ];
    mainProgram = "fzf";
    platforms = lib.platforms.unix;
  };
}
