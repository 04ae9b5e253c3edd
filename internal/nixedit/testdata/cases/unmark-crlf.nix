# markbot-test: op=unmark line=33 want=changed
{
  lib,
  stdenv,
  fetchurl,
  pkg-config,
  libjpeg,
  libpng,
}:

stdenv.mkDerivation rec {
  pname = "jp2a-lite";
  version = "1.3.2";

  src = fetchurl {
    url = "https://downloads.example.org/jp2a/jp2a-${version}.tar.bz2";
    hash = "sha256-FoiNFo3zqnWzTQUcjzyNlNyzoYWZ16UPR1aDhtDPuN0=";
  };

  nativeBuildInputs = [ pkg-config ];
  buildInputs = [
    libjpeg
    libpng
  ];

  configureFlags = [ "--enable-curl=no" ];

  postInstall = ''
    install -Dm644 man/jp2a.1 -t $out/share/man/man1
  '';

  meta = {
    description = "Small utility that converts JPG images to ASCII";
    homepage = "https://github.com/Talinx/jp2a";
    license = lib.licenses.gpl2Only;
    maintainers = with lib.maintainers; [ ];
    platforms = lib.platforms.unix;
    mainProgram = "jp2a";
    # markbot: broken since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
    broken = true;
  };
}
