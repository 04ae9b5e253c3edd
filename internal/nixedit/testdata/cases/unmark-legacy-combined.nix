# markbot-test: op=unmark line=58 want=changed
# A combined marker written before nixfmt's layout: ` || COND` on X's line.
{
  lib,
  stdenv,
  rustPlatform,
  fetchFromGitHub,
  cmake,
  pandoc,
  pkg-config,
  zlib,
  installShellFiles,
  gitSupport ? true,
}:

rustPlatform.buildRustPackage (finalAttrs: {
  pname = "eza";
  version = "0.21.6";

  src = fetchFromGitHub {
    owner = "eza-community";
    repo = "eza";
    tag = "v${finalAttrs.version}";
    hash = "sha256-qoy0kuexVyoR7qphGommdofn5zPNKJFkk1zWbGz/bg4=";
  };

  cargoHash = "sha256-v52gTKON5RThV73vHF+vJ/rFeNC6/FIBSq2//53+oWU=";

  nativeBuildInputs = [
    cmake
    pkg-config
    installShellFiles
    pandoc
  ];
  buildInputs = [ zlib ];

  buildNoDefaultFeatures = true;
  buildFeatures = lib.optional gitSupport "git";

  outputs = [
    "out"
    "man"
  ];

  postInstall = ''
    for page in eza.1 eza_colors.5 eza_colors-explanation.5; do
      sed "s/\$version/v${finalAttrs.version}/g" "man/''${page}.md" |
        pandoc --standalone -f markdown -t man >"man/''${page}"
    done
    installManPage man/eza.1 man/eza_colors.5 man/eza_colors-explanation.5
    installShellCompletion \
      --bash completions/bash/eza \
      --fish completions/fish/eza.fish \
      --zsh completions/zsh/_eza
  '';

  meta = with lib; {
    description = "Modern, maintained replacement for ls";
    longDescription = ''
      eza is a modern replacement for ls. It uses colours for information by
      default, helping you distinguish between many types of files, such as
      whether you are the owner, or in the owning group.
    '';
    homepage = "https://github.com/eza-community/eza";
    changelog = "https://github.com/eza-community/eza/releases/tag/v${finalAttrs.version}";
    license = licenses.eupl12;
    mainProgram = "eza";
    maintainers = with maintainers; [
      cafkafk
      _9glenda
    ];
    platforms = platforms.unix ++ platforms.windows;
    # markbot: also broken on aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = stdenv.hostPlatform.isDarwin && stdenv.hostPlatform.isx86_64 || stdenv.hostPlatform.system == "aarch64-darwin";
  };
})
