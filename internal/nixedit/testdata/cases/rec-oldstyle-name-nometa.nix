# markbot-test: op=mark line=9 want=changed
{
  stdenv,
  fetchurl,
  xorg,
}:

stdenv.mkDerivation {
  name = "xsnow-classic-1.42";

  src = fetchurl {
    url = "https://downloads.example.org/xsnow/xsnow-1.42.tar.gz";
    hash = "sha256-0IGvoZZ6KM1O4hWGay/vZC3cNW31vGS4lrES1jnZ1wI=";
  };

  nativeBuildInputs = [ xorg.imake ];
  buildInputs = [
    xorg.libXt
    xorg.libXpm
    xorg.libXext
  ];

  makeFlags = [ "CC:=$(CC)" ];

  configurePhase = ''
    runHook preConfigure
    xmkmf
    runHook postConfigure
  '';

  installPhase = ''
    runHook preInstall
    install -Dm755 xsnow $out/bin/xsnow
    install -Dm644 xsnow.1 $out/share/man/man1/xsnow.1
    runHook postInstall
  '';
}
