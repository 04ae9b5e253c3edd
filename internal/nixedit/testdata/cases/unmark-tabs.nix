# markbot-test: op=unmark line=36 systems=aarch64-linux want=changed
{
	lib,
	stdenv,
	fetchFromGitHub,
	autoreconfHook,
	pkg-config,
	libnl,
	ncurses,
}:

stdenv.mkDerivation (finalAttrs: {
	pname = "bmon-lite";
	version = "4.0";

	src = fetchFromGitHub {
		owner = "tgraf";
		repo = "bmon";
		rev = "v${finalAttrs.version}";
		hash = "sha256-9hLMr/3BsaFLoXj5iaiyv0Ax7NpuXAvWAUHv2yDwXNA=";
	};

	nativeBuildInputs = [
		autoreconfHook
		pkg-config
	];

	buildInputs = [ ncurses ] ++ lib.optional stdenv.hostPlatform.isLinux libnl;

	preConfigure = ''
		# Must be an absolute path
		export PACKAGE_BUGREPORT="''${PACKAGE_BUGREPORT:-https://github.com/tgraf/bmon/issues}"
	'';

	meta = {
		description = "Network bandwidth monitor";
		homepage = "https://github.com/tgraf/bmon";
		license = lib.licenses.bsd2;
		platforms = lib.platforms.unix;
		maintainers = with lib.maintainers; [ bjornfor ];
		mainProgram = "bmon";
		# markbot: broken on aarch64-linux since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
		broken = stdenv.hostPlatform.system == "aarch64-linux";
	};
})
