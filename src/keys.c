/*
 * keys.c
 *	  The root key and the wrapped pseudonymization keys.
 *
 * What is protected, and from whom
 *	  A pseudonymization key turns identifiers into pseudonyms with
 *	  HMAC-SHA256. A holder of the key can link a pseudonym back to a
 *	  guessed identifier (an IP address, an email). So the key must not leak
 *	  through a pg_dump, a base backup, a replica, the WAL, the server log,
 *	  pg_stat_statements or an error message. Roles that are not granted a
 *	  key, and analyst roles (roles with a privacy budget) in particular,
 *	  must not be able to compute pseudonyms with it.
 *
 * How
 *	  Keys are 32 bytes from OpenSSL's RAND_bytes(), made inside the server
 *	  by generate_wrapped_key(); no SQL statement ever carries them. The
 *	  table ciam_privacy.pseudonym_key stores them wrapped with AES-256-GCM
 *	  under a wrapping key derived with HKDF-SHA256 from the root key. The
 *	  associated data of each wrapped key binds its name and version, so a
 *	  wrapped key copied into another row fails authentication.
 *
 *	  The root key (32 bytes, 64 hexadecimal digits) lives outside the
 *	  database. The postmaster reads it once, while it loads
 *	  shared_preload_libraries, from the file named by
 *	  ciam_privacy.root_key_file or from the standard output of
 *	  ciam_privacy.root_key_command. It keeps only the derived wrapping key
 *	  and an identifier of the root key, and the root key bytes are wiped at
 *	  once. Backends inherit both through fork(). Both settings are
 *	  PGC_POSTMASTER and GUC_SUPERUSER_ONLY, so other roles cannot read
 *	  where the root key comes from.
 *
 *	  If the root key is missing or invalid, the server still starts (the DP
 *	  features do not need it). Startup logs why, and every function that
 *	  needs a key raises an error; superusers see the reason in its detail.
 *
 * Cache of unwrapped keys
 *	  A backend unwraps a key the first time a transaction uses it and keeps
 *	  it, with its HMAC contexts, until that transaction ends. The cache is
 *	  then wiped (explicit_bzero, and EVP_MAC_CTX_free, which clears
 *	  OpenSSL's copies) and freed. A key destroyed by another session is
 *	  therefore gone from every backend once the transactions that had
 *	  already used it end. The cache is also dropped when a subtransaction
 *	  aborts and when this backend creates, rotates or destroys a key, so a
 *	  transaction never uses a version that it rolled back or replaced.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "ciam_privacy.h"

/* Columns of ciam_privacy.pseudonym_key */
#define Anum_pseudonym_key_name			1
#define Anum_pseudonym_key_version		2
#define Anum_pseudonym_key_created_at	3
#define Anum_pseudonym_key_origin		4
#define Anum_pseudonym_key_root_key_id	5
#define Anum_pseudonym_key_wrapped		6

/* Columns of ciam_privacy.pseudonym_key_grant */
#define Anum_pseudonym_key_grant_name		1
#define Anum_pseudonym_key_grant_grantee	2

#define ROOT_KEY_BYTES		32
#define ROOT_KEY_ID_BYTES	16
#define ROOT_KEY_FILE_MAX	4096	/* bytes read from the file or command */
#define WRAPPING_KEY_BYTES	32
#define GCM_NONCE_BYTES		12
#define GCM_TAG_BYTES		16
#define WRAP_FORMAT_VERSION	1
#define WRAPPED_OVERHEAD	(1 + GCM_NONCE_BYTES + GCM_TAG_BYTES)

/* HKDF labels: each derived key has its own, so no two coincide */
#define HKDF_SALT_ROOT		"ciam_privacy root key"
#define HKDF_INFO_WRAPPING	"ciam_privacy key wrapping v1"
#define HKDF_INFO_ROOT_ID	"ciam_privacy root key id v1"
#define HKDF_SALT_DOMAIN	"ciam_privacy pseudonym v1"
#define WRAP_AAD_LABEL		"ciam_privacy wrapped key v1"

/* Settings */
static char *root_key_file = NULL;
static char *root_key_command = NULL;

/* State the postmaster sets up and backends inherit */
static bool root_key_loaded = false;
static uint8 wrapping_key[WRAPPING_KEY_BYTES];
static uint8 root_key_id[ROOT_KEY_ID_BYTES];
static char root_key_problem[512] =
"ciam_privacy was not loaded through shared_preload_libraries, so no root key was read at server start";

/* An unwrapped key, valid until the end of the transaction that read it */
struct PseudonymKey
{
	struct PseudonymKey *next;
	char		name[CIAM_KEY_NAME_MAX + 1];
	int32		requested_version;	/* 0: the current version */
	int32		version;
	Oid			permitted_user; /* user the grant check passed for */
	size_t		key_len;
	uint8		key[CIAM_KEY_MAX_BYTES];
	EVP_MAC_CTX *mac[PSEUDONYM_DOMAIN_COUNT];
};

/* What a call site remembers in fn_extra between calls */
typedef struct KeyLookupCache
{
	uint64		generation;
	int32		requested_version;	/* the call's version argument */
	PseudonymKey *entry;
} KeyLookupCache;

static PseudonymKey *key_cache = NULL;
static uint64 key_cache_generation = 1;
static bool xact_callback_registered = false;
static EVP_MAC *hmac_algorithm = NULL;

/* Labels of the pseudonym domains, the HKDF info of their derived keys */
static const char *const domain_labels[PSEUDONYM_DOMAIN_COUNT] = {
	[PSEUDONYM_BYTEA] = NULL,	/* the key itself, plain HMAC */
	[PSEUDONYM_TEXT] = "text",
	[PSEUDONYM_BIGINT] = "bigint",
	[PSEUDONYM_UUID] = "uuid",
	[PSEUDONYM_INET] = "inet",
	[PSEUDONYM_EMAIL] = "email local part",
};

static void LoadRootKey(void);

/*
 * Define the root key settings and read the root key, in the postmaster
 * only: PGC_POSTMASTER settings cannot be defined later, and a backend that
 * loads the library by itself has no root key (root_key_problem gives the reason).
 */
void
InitRootKey(void)
{
	/*
	 * NOTE: without the preload, the settings from postgresql.conf stay
	 * placeholders that every role can read with SHOW until this library is
	 * loaded in the session and MarkGUCPrefixReserved() removes them. Code
	 * that never runs cannot hide them, so the documentation warns against
	 * writing the root key itself into root_key_command.
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomStringVariable("ciam_privacy.root_key_file",
							   "File that contains the root key of the pseudonymization keys.",
							   "64 hexadecimal digits and an optional newline; the file must not be "
							   "accessible by group or others. Read once at server start.",
							   &root_key_file,
							   "",
							   PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("ciam_privacy.root_key_command",
							   "Shell command that prints the root key of the pseudonymization keys.",
							   "It must print 64 hexadecimal digits and an optional newline. "
							   "Run once at server start.",
							   &root_key_command,
							   "",
							   PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	LoadRootKey();
}

/*
 * Parse hexadecimal digits followed by an optional newline into out. On
 * failure, write the reason to problem; the reason never quotes the text.
 */
static bool
ParseHexKey(const char *text, size_t len, size_t min_bytes, size_t max_bytes,
			uint8 *out, size_t *out_len, char *problem, size_t problem_size)
{
	size_t		digits = len;
	size_t		i;

	if (digits > 0 && text[digits - 1] == '\n')
		digits--;
	if (digits == 0 || digits % 2 != 0 ||
		digits / 2 < min_bytes || digits / 2 > max_bytes)
	{
		if (min_bytes == max_bytes)
			snprintf(problem, problem_size,
					 "it must contain %zu hexadecimal digits and an optional newline, "
					 "but contains %zu characters before the end or the newline",
					 2 * min_bytes, digits);
		else
			snprintf(problem, problem_size,
					 "it must contain an even number of hexadecimal digits, from %zu to %zu, "
					 "and an optional newline, but contains %zu characters before the end "
					 "or the newline",
					 2 * min_bytes, 2 * max_bytes, digits);
		return false;
	}
	for (i = 0; i < digits; i++)
	{
		char		c = text[i];
		int			value;

		if (c >= '0' && c <= '9')
			value = c - '0';
		else if (c >= 'a' && c <= 'f')
			value = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			value = c - 'A' + 10;
		else
		{
			snprintf(problem, problem_size,
					 "character %zu is not a hexadecimal digit", i + 1);
			return false;
		}
		if (i % 2 == 0)
			out[i / 2] = (uint8) (value << 4);
		else
			out[i / 2] |= (uint8) value;
	}
	*out_len = digits / 2;
	return true;
}

/*
 * Read a whole key file opened as fd, after checking that it is a regular
 * file that neither group nor others can access. Returns the number of
 * bytes read, or -1 with the reason in problem. Callers open the file with
 * O_NONBLOCK, because open() of a FIFO blocks until a writer comes, which
 * would stop the postmaster at start. O_NONBLOCK does not change reads of
 * the regular files that the check lets through.
 */
ssize_t
ReadKeyFile(int fd, const char *path, char *buffer, size_t buffer_size,
			char *problem, size_t problem_size)
{
	struct stat st;
	size_t		total = 0;

	if (fstat(fd, &st) != 0)
	{
		snprintf(problem, problem_size, "could not stat file \"%s\": %m", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
	{
		snprintf(problem, problem_size, "\"%s\" is not a regular file", path);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
	{
		snprintf(problem, problem_size,
				 "file \"%s\" is accessible by group or others; "
				 "allow access to its owner only (chmod 0600)", path);
		return -1;
	}
	for (;;)
	{
		ssize_t		n = read(fd, buffer + total, buffer_size - total);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			snprintf(problem, problem_size, "could not read file \"%s\": %m", path);
			return -1;
		}
		if (n == 0)
			break;
		total += n;
		if (total == buffer_size)
		{
			snprintf(problem, problem_size, "file \"%s\" is longer than %zu bytes",
					 path, buffer_size - 1);
			return -1;
		}
	}
	return (ssize_t) total;
}

/* Read the root key file into root; on failure set root_key_problem. */
static bool
ReadRootKeyFile(uint8 *root)
{
	char		buffer[ROOT_KEY_FILE_MAX + 1];
	char		reason[256];
	ssize_t		len;
	size_t		key_len;
	int			fd;
	bool		ok = false;

	/* O_NONBLOCK: opening a FIFO would wait for a writer (see ReadKeyFile) */
	fd = open(root_key_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
	{
		snprintf(root_key_problem, sizeof(root_key_problem),
				 "could not open root key file \"%s\": %m", root_key_file);
		return false;
	}
	len = ReadKeyFile(fd, root_key_file, buffer, sizeof(buffer),
					  root_key_problem, sizeof(root_key_problem));
	close(fd);
	if (len >= 0)
	{
		ok = ParseHexKey(buffer, len, ROOT_KEY_BYTES, ROOT_KEY_BYTES,
						 root, &key_len, reason, sizeof(reason));
		if (!ok)
			snprintf(root_key_problem, sizeof(root_key_problem),
					 "root key file \"%s\" is invalid: %s", root_key_file, reason);
	}
	explicit_bzero(buffer, sizeof(buffer));
	return ok;
}

/* Run the root key command and parse its output into root. */
static bool
RunRootKeyCommand(uint8 *root)
{
	char		buffer[ROOT_KEY_FILE_MAX + 1];
	char		reason[256];
	size_t		total = 0;
	size_t		key_len;
	FILE	   *pipe;
	int			status;
	bool		ok = false;

	fflush(NULL);
	pipe = popen(root_key_command, "r");
	if (pipe == NULL)
	{
		snprintf(root_key_problem, sizeof(root_key_problem),
				 "could not run ciam_privacy.root_key_command: %m");
		return false;
	}
	/* Unbuffered, so that no stdio buffer keeps a copy of the root key */
	setvbuf(pipe, NULL, _IONBF, 0);
	while (total < sizeof(buffer))
	{
		size_t		n = fread(buffer + total, 1, sizeof(buffer) - total, pipe);

		if (n == 0)
			break;
		total += n;
	}
	/* Drain what is left so that the command does not block on a full pipe */
	if (total == sizeof(buffer))
	{
		char		rest[256];

		while (fread(rest, 1, sizeof(rest), pipe) > 0)
			;
		explicit_bzero(rest, sizeof(rest));
	}
	status = pclose(pipe);

	if (status != 0)
		snprintf(root_key_problem, sizeof(root_key_problem),
				 "ciam_privacy.root_key_command failed: %s",
				 wait_result_to_str(status));
	else if (total == sizeof(buffer))
		snprintf(root_key_problem, sizeof(root_key_problem),
				 "the output of ciam_privacy.root_key_command is longer than %d bytes",
				 ROOT_KEY_FILE_MAX);
	else if (!(ok = ParseHexKey(buffer, total, ROOT_KEY_BYTES, ROOT_KEY_BYTES,
								root, &key_len, reason, sizeof(reason))))
		snprintf(root_key_problem, sizeof(root_key_problem),
				 "the output of ciam_privacy.root_key_command is invalid: %s", reason);
	explicit_bzero(buffer, sizeof(buffer));
	return ok;
}

/* Derive out_len bytes with HKDF-SHA256 (RFC 5869). */
static bool
DeriveKey(const uint8 *secret, size_t secret_len, const char *salt,
		  const char *info, uint8 *out, size_t out_len)
{
	EVP_KDF    *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM	params[5];
	bool		ok = false;

	if (ctx != NULL)
	{
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
													 (char *) "SHA256", 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
													  (void *) secret, secret_len);
		params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
													  (void *) salt, strlen(salt));
		params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
													  (void *) info, strlen(info));
		params[4] = OSSL_PARAM_construct_end();
		ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

/*
 * Read the root key and derive the wrapping key and the root key id from
 * it. Runs in the postmaster, so failures are logged as WARNING, not raised
 * as errors.
 */
static void
LoadRootKey(void)
{
	uint8		root[ROOT_KEY_BYTES];
	bool		have_file = root_key_file != NULL && root_key_file[0] != '\0';
	bool		have_command = root_key_command != NULL && root_key_command[0] != '\0';
	bool		ok = false;

	if (have_file && have_command)
		snprintf(root_key_problem, sizeof(root_key_problem),
				 "both ciam_privacy.root_key_file and ciam_privacy.root_key_command are set; "
				 "set only one of them");
	else if (!have_file && !have_command)
	{
		snprintf(root_key_problem, sizeof(root_key_problem),
				 "neither ciam_privacy.root_key_file nor ciam_privacy.root_key_command is set");
		ereport(LOG,
				(errmsg("ciam_privacy: no root key is configured, so pseudonymization keys cannot be used")));
		return;
	}
	else if (have_file)
		ok = ReadRootKeyFile(root);
	else
		ok = RunRootKeyCommand(root);

	if (ok)
	{
		ok = DeriveKey(root, sizeof(root), HKDF_SALT_ROOT, HKDF_INFO_WRAPPING,
					   wrapping_key, sizeof(wrapping_key)) &&
			DeriveKey(root, sizeof(root), HKDF_SALT_ROOT, HKDF_INFO_ROOT_ID,
					  root_key_id, sizeof(root_key_id));
		if (!ok)
		{
			explicit_bzero(wrapping_key, sizeof(wrapping_key));
			snprintf(root_key_problem, sizeof(root_key_problem),
					 "OpenSSL could not derive the wrapping key (HKDF-SHA256)");
		}
	}
	explicit_bzero(root, sizeof(root));

	if (ok)
	{
		root_key_loaded = true;
		root_key_problem[0] = '\0';
		ereport(LOG,
				(errmsg("ciam_privacy: root key loaded from %s",
						have_file ? "ciam_privacy.root_key_file" : "ciam_privacy.root_key_command")));
	}
	else
		ereport(WARNING,
				(errmsg("ciam_privacy: no root key loaded: %s", root_key_problem),
				 errhint("Pseudonymization keys cannot be used until the root key is fixed and the server restarted.")));
}

/* Raise an error unless the root key was loaded at server start. */
static void
RequireRootKey(void)
{
	if (root_key_loaded)
		return;
	if (superuser())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no root key is loaded, so pseudonymization keys cannot be used"),
				 errdetail("At server start: %s.", root_key_problem),
				 errhint("Set ciam_privacy.root_key_file or ciam_privacy.root_key_command, "
						 "preload ciam_privacy, and restart the server.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("no root key is loaded, so pseudonymization keys cannot be used"),
			 errhint("The server log names the reason; a superuser must fix the root key and restart the server.")));
}

/* Raise an error unless name is a valid key name; the name is not secret. */
static void
CheckKeyName(const char *name, size_t len)
{
	size_t		i;

	if (len == 0 || len > CIAM_KEY_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid key name"),
				 errdetail("A key name has 1 to %d characters.", CIAM_KEY_NAME_MAX)));
	for (i = 0; i < len; i++)
	{
		char		c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid key name"),
					 errdetail("A key name contains only ASCII letters, digits, \"_\", \"-\" and \".\".")));
	}
}

/* Copy a text key name into buffer (CIAM_KEY_NAME_MAX + 1 bytes) after checking it. */
static void
KeyNameFromText(text *name_text, char *buffer)
{
	size_t		len = VARSIZE_ANY_EXHDR(name_text);

	CheckKeyName(VARDATA_ANY(name_text), len);
	memcpy(buffer, VARDATA_ANY(name_text), len);
	buffer[len] = '\0';
}

/* Build the associated data that binds a wrapped key to its name and version. */
static size_t
BuildWrapAad(const char *name, int32 version, uint8 *aad)
{
	size_t		label_len = sizeof(WRAP_AAD_LABEL);	/* with its NUL */
	uint32		name_len = (uint32) strlen(name);
	uint32		be_len = pg_hton32(name_len);
	uint32		be_version = pg_hton32((uint32) version);
	size_t		pos = 0;

	memcpy(aad + pos, WRAP_AAD_LABEL, label_len);
	pos += label_len;
	memcpy(aad + pos, &be_len, 4);
	pos += 4;
	memcpy(aad + pos, name, name_len);
	pos += name_len;
	memcpy(aad + pos, &be_version, 4);
	pos += 4;
	return pos;
}

#define WRAP_AAD_MAX (sizeof(WRAP_AAD_LABEL) + 8 + CIAM_KEY_NAME_MAX)

/* Wrap key with AES-256-GCM into a new bytea: format byte, nonce, ciphertext, tag. */
static bytea *
WrapKey(const char *name, int32 version, const uint8 *key, size_t key_len)
{
	uint8		aad[WRAP_AAD_MAX];
	size_t		aad_len = BuildWrapAad(name, version, aad);
	bytea	   *wrapped = palloc(VARHDRSZ + WRAPPED_OVERHEAD + key_len);
	uint8	   *out = (uint8 *) VARDATA(wrapped);
	uint8	   *nonce = out + 1;
	uint8	   *ciphertext = nonce + GCM_NONCE_BYTES;
	uint8	   *tag = ciphertext + key_len;
	EVP_CIPHER_CTX *ctx;
	int			n;
	bool		ok;

	SET_VARSIZE(wrapped, VARHDRSZ + WRAPPED_OVERHEAD + key_len);
	out[0] = WRAP_FORMAT_VERSION;
	if (RAND_bytes(nonce, GCM_NONCE_BYTES) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random nonce")));

	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
		EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_BYTES, NULL) == 1 &&
		EVP_EncryptInit_ex(ctx, NULL, NULL, wrapping_key, nonce) == 1 &&
		EVP_EncryptUpdate(ctx, NULL, &n, aad, (int) aad_len) == 1 &&
		EVP_EncryptUpdate(ctx, ciphertext, &n, key, (int) key_len) == 1 &&
		(size_t) n == key_len &&
		EVP_EncryptFinal_ex(ctx, ciphertext + n, &n) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_BYTES, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not wrap key \"%s\" with AES-256-GCM", name)));
	return wrapped;
}

/*
 * Unwrap a stored key into entry->key. Checks the format and the root key
 * id before decrypting, and the GCM tag after, so a row that was altered,
 * swapped with another name or version, or wrapped under another root key
 * is rejected.
 */
static void
UnwrapKey(PseudonymKey *entry, bytea *stored_root_id, bytea *wrapped)
{
	uint8		aad[WRAP_AAD_MAX];
	size_t		aad_len = BuildWrapAad(entry->name, entry->version, aad);
	const uint8 *in = (const uint8 *) VARDATA_ANY(wrapped);
	size_t		in_len = VARSIZE_ANY_EXHDR(wrapped);
	size_t		key_len;
	EVP_CIPHER_CTX *ctx;
	int			n;
	bool		ok;

	if (VARSIZE_ANY_EXHDR(stored_root_id) != ROOT_KEY_ID_BYTES ||
		memcmp(VARDATA_ANY(stored_root_id), root_key_id, ROOT_KEY_ID_BYTES) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("key \"%s\" version %d was wrapped under another root key",
						entry->name, entry->version),
				 errhint("Start the server with the root key that was loaded when the key was made.")));
	if (in_len <= WRAPPED_OVERHEAD || in_len > WRAPPED_OVERHEAD + CIAM_KEY_MAX_BYTES ||
		in[0] != WRAP_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("wrapped key \"%s\" version %d is malformed",
						entry->name, entry->version)));
	key_len = in_len - WRAPPED_OVERHEAD;

	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
		EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_BYTES, NULL) == 1 &&
		EVP_DecryptInit_ex(ctx, NULL, NULL, wrapping_key, in + 1) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &n, aad, (int) aad_len) == 1 &&
		EVP_DecryptUpdate(ctx, entry->key, &n, in + 1 + GCM_NONCE_BYTES,
						  (int) key_len) == 1 &&
		(size_t) n == key_len &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_BYTES,
							(void *) (in + 1 + GCM_NONCE_BYTES + key_len)) == 1 &&
		EVP_DecryptFinal_ex(ctx, entry->key + n, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
	{
		explicit_bzero(entry->key, sizeof(entry->key));
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("wrapped key \"%s\" version %d failed authentication",
						entry->name, entry->version),
				 errdetail("The row was altered, or copied from another key name or version.")));
	}
	entry->key_len = key_len;
}

/* Open a table of the extension by name, or raise an error. */
static Relation
OpenExtensionTable(const char *relname, LOCKMODE lockmode)
{
	Oid			namespace_id = get_namespace_oid("ciam_privacy", true);
	Oid			relid = InvalidOid;

	if (OidIsValid(namespace_id))
		relid = get_relname_relid(relname, namespace_id);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table ciam_privacy.%s does not exist", relname),
				 errhint("Run CREATE EXTENSION ciam_privacy in this database.")));
	return table_open(relid, lockmode);
}

/* Return the OID of the primary key index of rel. */
static Oid
PrimaryKeyIndex(Relation rel)
{
	Oid			index = RelationGetPrimaryKeyIndex(rel);

	if (!OidIsValid(index))
		elog(ERROR, "table \"%s\" has no primary key", RelationGetRelationName(rel));
	return index;
}

/* Free one cache entry, wiping the key and OpenSSL's HMAC states. */
static void
FreeKeyEntry(PseudonymKey *entry)
{
	int			i;

	for (i = 0; i < PSEUDONYM_DOMAIN_COUNT; i++)
		EVP_MAC_CTX_free(entry->mac[i]);
	explicit_bzero(entry, sizeof(*entry));
	pfree(entry);
}

/* Wipe and free every unwrapped key, and invalidate the call sites' pointers. */
static void
ForgetAllKeys(void)
{
	while (key_cache != NULL)
	{
		PseudonymKey *next = key_cache->next;

		FreeKeyEntry(key_cache);
		key_cache = next;
	}
	key_cache_generation++;
}

/* Forget every unwrapped key when a transaction ends. */
static void
ForgetKeysAtXactEnd(XactEvent event, void *arg)
{
	(void) arg;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			ForgetAllKeys();
			break;
		default:
			break;
	}
}

/*
 * Forget every unwrapped key when a subtransaction aborts: a key version
 * created in it is gone, and must not stay the current version.
 */
static void
ForgetKeysAtSubXactAbort(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	(void) mySubid;
	(void) parentSubid;
	(void) arg;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		ForgetAllKeys();
}

PG_FUNCTION_INFO_V1(forget_cached_keys);

/*
 * forget_cached_keys()
 *	  Drop this backend's unwrapped keys, so that a key changed by this
 *	  transaction is read again. The key management functions call it.
 */
Datum
forget_cached_keys(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	ForgetAllKeys();
	PG_RETURN_VOID();
}

/*
 * Return a registered snapshot in which every transaction committed so far
 * is visible, so that a key destroyed or a grant revoked takes effect at
 * once. Parallel mode forbids GetLatestSnapshot(), so there the catalog
 * snapshot is used instead. For a table that has no system cache, such as
 * ours, PostgreSQL takes it anew at each call, in the leader and in workers.
 */
static Snapshot
FreshSnapshot(Relation rel)
{
	if (!IsInParallelMode())
		return RegisterSnapshot(GetLatestSnapshot());
	return RegisterSnapshot(GetCatalogSnapshot(RelationGetRelid(rel)));
}

/*
 * Return the snapshot that selects the current version of a key. It is a
 * fresh one, except in a parallel query. There every process takes the
 * query's active snapshot, so that all of them select the same version even
 * if a rotation commits meanwhile. That snapshot can predate a destruction
 * (in a REPEATABLE READ transaction, by a long time), so LoadKey() checks
 * the row again with FreshSnapshot().
 */
static Snapshot
VersionSnapshot(Relation rel)
{
	if (!IsInParallelMode())
		return FreshSnapshot(rel);
	if (ActiveSnapshotSet())
		return RegisterSnapshot(GetActiveSnapshot());
	return RegisterSnapshot(GetTransactionSnapshot());
}

/*
 * Check that the current user may use the key. Analysts may not: neither
 * a current role with a privacy budget, nor any role in a session whose
 * login role has a budget (so not through a SECURITY DEFINER function
 * either), unless that login role is a superuser. Then superusers may, and
 * other roles need a row in ciam_privacy.pseudonym_key_grant for a role
 * whose privileges they have.
 */
static void
CheckKeyPermission(const char *name)
{
	Oid			user = GetUserId();
	Oid			login = GetAuthenticatedUserId();
	Oid			analyst = InvalidOid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	Snapshot	snapshot;
	HeapTuple	tuple;
	bool		granted = false;

	if (RoleHasBudget(user))
		analyst = user;
	else if (!superuser_arg(login) && RoleHasBudget(login))
		analyst = login;
	if (OidIsValid(analyst))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for pseudonymization key \"%s\"", name),
				 errdetail("Role \"%s\" has a privacy budget, and analyst roles cannot pseudonymize.",
						   GetUserNameFromId(analyst, false))));
	if (superuser_arg(user))
		return;

	rel = OpenExtensionTable("pseudonym_key_grant", AccessShareLock);
	ScanKeyInit(&key, Anum_pseudonym_key_grant_name, BTEqualStrategyNumber,
				F_TEXTEQ, CStringGetTextDatum(name));
	snapshot = FreshSnapshot(rel);
	scan = systable_beginscan(rel, PrimaryKeyIndex(rel), true, snapshot, 1, &key);
	while (!granted && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		grantee = heap_getattr(tuple, Anum_pseudonym_key_grant_grantee,
										   RelationGetDescr(rel), &isnull);

		if (!isnull && has_privs_of_role(user, DatumGetObjectId(grantee)))
			granted = true;
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);

	if (!granted)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for pseudonymization key \"%s\"", name),
				 errhint("A key administrator grants a key with ciam_privacy.grant_key().")));
}

/* Allocate a cache entry and unwrap the stored key into it. */
static PseudonymKey *
NewKeyEntry(const char *name, int32 requested_version, int32 version,
			bytea *stored_root_id, bytea *wrapped)
{
	PseudonymKey *entry = MemoryContextAllocZero(TopMemoryContext,
												 sizeof(PseudonymKey));

	strlcpy(entry->name, name, sizeof(entry->name));
	entry->requested_version = requested_version;
	entry->version = version;
	PG_TRY();
	{
		UnwrapKey(entry, stored_root_id, wrapped);
	}
	PG_CATCH();
	{
		FreeKeyEntry(entry);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return entry;
}

/*
 * Return a copy of the row of key name at version, or at its highest
 * version when version is 0, as seen by snapshot; NULL if there is none.
 */
static HeapTuple
FindKeyRow(Relation rel, const char *name, int32 version, Snapshot snapshot,
		   int32 *found_version)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	HeapTuple	found = NULL;
	bool		isnull;

	*found_version = 0;
	ScanKeyInit(&keys[0], Anum_pseudonym_key_name, BTEqualStrategyNumber,
				F_TEXTEQ, CStringGetTextDatum(name));
	ScanKeyInit(&keys[1], Anum_pseudonym_key_version, BTEqualStrategyNumber,
				F_INT4EQ, Int32GetDatum(version));
	scan = systable_beginscan(rel, PrimaryKeyIndex(rel), true, snapshot,
							  version == 0 ? 1 : 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		int32		row_version = DatumGetInt32(heap_getattr(tuple, Anum_pseudonym_key_version,
															 RelationGetDescr(rel), &isnull));

		if (row_version > *found_version)
		{
			if (found != NULL)
				heap_freetuple(found);
			found = heap_copytuple(tuple);
			*found_version = row_version;
		}
	}
	systable_endscan(scan);
	return found;
}

/*
 * Return the current (highest) version of key name that is visible to
 * VersionSnapshot(), or 0 if the key has no version.
 */
static int32
CurrentKeyVersion(const char *name)
{
	Relation	rel = OpenExtensionTable("pseudonym_key", AccessShareLock);
	Snapshot	snapshot = VersionSnapshot(rel);
	int32		version;
	HeapTuple	found = FindKeyRow(rel, name, 0, snapshot, &version);

	if (found != NULL)
		heap_freetuple(found);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return version;
}

/*
 * Find the row of key name (its highest version when version is 0) and
 * unwrap it into a new cache entry.
 */
static PseudonymKey *
LoadKey(const char *name, int32 version)
{
	Relation	rel;
	HeapTuple	found;
	Snapshot	snapshot;
	int32		found_version;
	PseudonymKey *entry;
	bool		isnull;
	bytea	   *stored_root_id;
	bytea	   *wrapped;

	rel = OpenExtensionTable("pseudonym_key", AccessShareLock);
	snapshot = VersionSnapshot(rel);
	found = FindKeyRow(rel, name, version, snapshot, &found_version);
	UnregisterSnapshot(snapshot);

	/* In parallel mode, the version picked must not be destroyed since */
	if (found != NULL && IsInParallelMode())
	{
		int32		fresh_version;

		heap_freetuple(found);
		snapshot = FreshSnapshot(rel);
		found = FindKeyRow(rel, name, found_version, snapshot, &fresh_version);
		UnregisterSnapshot(snapshot);
		if (found == NULL)
			version = found_version;
	}

	if (found == NULL)
	{
		table_close(rel, AccessShareLock);
		if (version == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("pseudonymization key \"%s\" does not exist", name)));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version %d of pseudonymization key \"%s\" does not exist",
						version, name),
				 errhint("The view ciam_privacy.pseudonym_keys lists the versions that exist.")));
	}

	stored_root_id = DatumGetByteaPP(heap_getattr(found, Anum_pseudonym_key_root_key_id,
												  RelationGetDescr(rel), &isnull));
	wrapped = DatumGetByteaPP(heap_getattr(found, Anum_pseudonym_key_wrapped,
										   RelationGetDescr(rel), &isnull));

	entry = NewKeyEntry(name, version, found_version, stored_root_id, wrapped);
	heap_freetuple(found);
	table_close(rel, AccessShareLock);
	return entry;
}

/*
 * Return the unwrapped key name (its current version when version is 0)
 * after checking that the current user may use it. Call sites pass their
 * FmgrInfo so that repeated calls with the same key skip the lookup.
 */
PseudonymKey *
GetPseudonymKey(FmgrInfo *flinfo, text *name_text, int32 version)
{
	KeyLookupCache *call_cache = (KeyLookupCache *) flinfo->fn_extra;
	size_t		name_len = VARSIZE_ANY_EXHDR(name_text);
	char		name[CIAM_KEY_NAME_MAX + 1];
	PseudonymKey *entry;
	Oid			user = GetUserId();
	int32		requested_version = version;
	bool		checked = false;

	/* Fast path: the same key as this call site's previous call */
	if (call_cache != NULL && call_cache->generation == key_cache_generation)
	{
		entry = call_cache->entry;
		if (call_cache->requested_version == version &&
			entry->permitted_user == user &&
			name_len == strlen(entry->name) &&
			memcmp(entry->name, VARDATA_ANY(name_text), name_len) == 0)
			return entry;
	}

	KeyNameFromText(name_text, name);
	if (version < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key version must be positive")));
	RequireRootKey();

	/*
	 * In a parallel query, the workers pick the current version with the
	 * query's snapshot. The leader picks it the same way, instead of using a
	 * version it cached earlier in the transaction, so that one statement
	 * never mixes two versions after a concurrent rotation. The grant is
	 * checked first, so that a refusal reveals nothing.
	 */
	if (version == 0 && IsInParallelMode())
	{
		CheckKeyPermission(name);
		checked = true;
		version = CurrentKeyVersion(name);
		if (version == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("pseudonymization key \"%s\" does not exist", name)));
	}

	for (entry = key_cache; entry != NULL; entry = entry->next)
		if (entry->requested_version == version && strcmp(entry->name, name) == 0)
			break;

	/* Check the grant before reading the key, so a refusal reveals nothing */
	if (!checked && (entry == NULL || entry->permitted_user != user))
		CheckKeyPermission(name);

	if (entry == NULL)
	{
		if (!xact_callback_registered)
		{
			RegisterXactCallback(ForgetKeysAtXactEnd, NULL);
			RegisterSubXactCallback(ForgetKeysAtSubXactAbort, NULL);
			xact_callback_registered = true;
		}
		entry = LoadKey(name, version);
		entry->next = key_cache;
		key_cache = entry;
	}
	entry->permitted_user = user;

	if (call_cache == NULL)
	{
		call_cache = MemoryContextAlloc(flinfo->fn_mcxt, sizeof(KeyLookupCache));
		flinfo->fn_extra = call_cache;
	}
	call_cache->generation = key_cache_generation;
	call_cache->requested_version = requested_version;
	call_cache->entry = entry;
	return entry;
}

int32
PseudonymKeyVersion(const PseudonymKey *key)
{
	return key->version;
}

/* Create the HMAC-SHA256 context of a domain, keyed by its derived key. */
static EVP_MAC_CTX *
NewDomainMac(PseudonymKey *key, PseudonymDomain domain)
{
	uint8		derived[32];
	const uint8 *mac_key = key->key;
	size_t		mac_key_len = key->key_len;
	OSSL_PARAM	params[2];
	EVP_MAC_CTX *ctx;
	bool		ok;

	if (hmac_algorithm == NULL)
		hmac_algorithm = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac_algorithm == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("OpenSSL provides no HMAC implementation")));

	if (domain_labels[domain] != NULL)
	{
		if (!DeriveKey(key->key, key->key_len, HKDF_SALT_DOMAIN,
					   domain_labels[domain], derived, sizeof(derived)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not derive the %s key of \"%s\"",
							domain_labels[domain], key->name)));
		mac_key = derived;
		mac_key_len = sizeof(derived);
	}

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
												 (char *) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ctx = EVP_MAC_CTX_new(hmac_algorithm);
	ok = ctx != NULL && EVP_MAC_init(ctx, mac_key, mac_key_len, params) == 1;
	explicit_bzero(derived, sizeof(derived));
	if (!ok)
	{
		EVP_MAC_CTX_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not initialize HMAC-SHA256 for key \"%s\"", key->name)));
	}
	return ctx;
}

/*
 * Compute HMAC-SHA256 of data under the key of a domain. The bytea domain
 * uses the key itself. Every other domain uses its own key derived with
 * HKDF, so equal bytes of two types give unrelated pseudonyms.
 */
void
ComputePseudonymMac(PseudonymKey *key, PseudonymDomain domain,
					const uint8 *data, size_t len, uint8 *digest)
{
	EVP_MAC_CTX *ctx = key->mac[domain];
	size_t		digest_len = 0;

	if (ctx == NULL)
		ctx = key->mac[domain] = NewDomainMac(key, domain);

	/* A NULL key restarts the MAC with the key already set */
	if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 ||
		EVP_MAC_update(ctx, data, len) != 1 ||
		EVP_MAC_final(ctx, digest, &digest_len, CIAM_PSEUDONYM_DIGEST_BYTES) != 1 ||
		digest_len != CIAM_PSEUDONYM_DIGEST_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("HMAC-SHA256 failed for key \"%s\"", key->name)));
}

/* Build the (root_key_id, wrapped_key) record that the SQL wrappers insert. */
static Datum
WrappedKeyRecord(FunctionCallInfo fcinfo, bytea *wrapped)
{
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	bytea	   *id = palloc(VARHDRSZ + ROOT_KEY_ID_BYTES);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	SET_VARSIZE(id, VARHDRSZ + ROOT_KEY_ID_BYTES);
	memcpy(VARDATA(id), root_key_id, ROOT_KEY_ID_BYTES);
	values[0] = PointerGetDatum(id);
	values[1] = PointerGetDatum(wrapped);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls));
}

/* Read key_name and version arguments, checking both. */
static int32
WrapArguments(FunctionCallInfo fcinfo, char *name)
{
	int32		version;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("key name and version must not be null")));
	KeyNameFromText(PG_GETARG_TEXT_PP(0), name);
	version = PG_GETARG_INT32(1);
	if (version < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key version must be positive")));
	RequireRootKey();
	return version;
}

PG_FUNCTION_INFO_V1(generate_wrapped_key);

/*
 * generate_wrapped_key(key_name text, version int)
 *	  Make 32 random bytes and return them wrapped, never in the clear.
 */
Datum
generate_wrapped_key(PG_FUNCTION_ARGS)
{
	char		name[CIAM_KEY_NAME_MAX + 1];
	int32		version = WrapArguments(fcinfo, name);
	uint8		key[CIAM_KEY_BYTES];
	bytea	   *wrapped;

	if (RAND_bytes(key, sizeof(key)) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random key")));
	PG_TRY();
	{
		wrapped = WrapKey(name, version, key, sizeof(key));
	}
	PG_FINALLY();
	{
		explicit_bzero(key, sizeof(key));
	}
	PG_END_TRY();
	PG_RETURN_DATUM(WrappedKeyRecord(fcinfo, wrapped));
}

PG_FUNCTION_INFO_V1(wrap_key_file);

/*
 * wrap_key_file(key_name text, version int, path text)
 *	  Read a key (hexadecimal digits) from a server-side file and return it
 *	  wrapped. Superuser only: it reads any file the server can read.
 */
Datum
wrap_key_file(PG_FUNCTION_ARGS)
{
	char		name[CIAM_KEY_NAME_MAX + 1];
	int32		version;
	char	   *path;
	char		buffer[2 * CIAM_KEY_MAX_BYTES + 2];
	char		problem[512];
	uint8		key[CIAM_KEY_MAX_BYTES];
	size_t		key_len = 0;
	ssize_t		len;
	int			fd;
	bool		ok;
	bytea	   *wrapped;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to import a key from a file"),
				 errdetail("Only superusers can read server-side key files.")));
	version = WrapArguments(fcinfo, name);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("path must not be null")));
	path = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key file path \"%s\" is not absolute", path)));

	fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open key file \"%s\": %m", path)));
	len = ReadKeyFile(fd, path, buffer, sizeof(buffer), problem, sizeof(problem));
	CloseTransientFile(fd);
	ok = len >= 0 &&
		ParseHexKey(buffer, len, 1, CIAM_KEY_MAX_BYTES, key, &key_len,
					problem, sizeof(problem));
	explicit_bzero(buffer, sizeof(buffer));
	if (!ok)
	{
		explicit_bzero(key, sizeof(key));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid key file \"%s\"", path),
				 errdetail("%s.", problem)));
	}
	if (key_len < CIAM_KEY_BYTES)
		ereport(WARNING,
				(errmsg("key \"%s\" has %zu bytes, fewer than the %d bytes of a generated key",
						name, key_len, CIAM_KEY_BYTES),
				 errdetail("Short keys are accepted for test vectors and migrations only.")));
	PG_TRY();
	{
		wrapped = WrapKey(name, version, key, key_len);
	}
	PG_FINALLY();
	{
		explicit_bzero(key, sizeof(key));
	}
	PG_END_TRY();
	PG_RETURN_DATUM(WrappedKeyRecord(fcinfo, wrapped));
}

PG_FUNCTION_INFO_V1(root_key_status);

/*
 * root_key_status()
 *	  Whether the root key is loaded, its id (not secret: an HKDF output),
 *	  and why it is missing. Superuser only through the SQL grants.
 */
Datum
root_key_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = BoolGetDatum(root_key_loaded);
	if (root_key_loaded)
	{
		bytea	   *id = palloc(VARHDRSZ + ROOT_KEY_ID_BYTES);

		SET_VARSIZE(id, VARHDRSZ + ROOT_KEY_ID_BYTES);
		memcpy(VARDATA(id), root_key_id, ROOT_KEY_ID_BYTES);
		values[1] = PointerGetDatum(id);
		nulls[2] = true;
	}
	else
	{
		nulls[1] = true;
		values[2] = CStringGetTextDatum(root_key_problem);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
