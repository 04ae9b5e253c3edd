# markbot-test: op=mark line=44 systems=x86_64-darwin,aarch64-darwin want=refused
{
	lib,
	stdenv,
	fetchurl,
	autoreconfHook,
}:

stdenv.mkDerivation rec {
	pname = "libsodium";
	version = "1.0.20";

	src = fetchurl {
		url = "https://download.libsodium.org/libsodium/releases/${pname}-${version}.tar.gz";
		hash = "sha256-JyFwcC9x7dv+1TlGEFvEW7mF2GgjRHLa9RFUVslUhsA=";
	};

	outputs = [
		"out"
		"dev"
	];

	nativeBuildInputs = [ autoreconfHook ];

	separateDebugInfo = stdenv.hostPlatform.isLinux && stdenv.hostPlatform.libc != "musl";

	enableParallelBuilding = true;
	hardeningDisable = lib.optional (stdenv.hostPlatform.isMusl && stdenv.hostPlatform.isx86_32) "stackprotector";

	# FIXME: the hardeingDisable attr above does not seems effective, so
	# the need to disable stackprotector via configureFlags
	configureFlags = lib.optional (
		stdenv.hostPlatform.isMusl && stdenv.hostPlatform.isx86_32
	) "--disable-ssp";

	doCheck = true;

	postInstall = ''
		# ''$out is only known at build time
		echo "installed into $out (${version})"
	'';

	meta = {
		description = "Modern and easy-to-use crypto library";
		homepage = "https://doc.libsodium.org/";
		license = lib.licenses.isc;
		maintainers = with lib.maintainers; [ raskin ];
		pkgConfigModules = [ "libsodium" ];
		platforms = lib.platforms.all;
	};
}
