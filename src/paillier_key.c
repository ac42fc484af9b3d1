/*
 * paillier_key.c
 *	  Paillier keys: generation, import, the per-backend cache of public
 *	  keys, private keys for the roles allowed to decrypt, and the
 *	  randomness of encryption.
 *
 * Where keys live
 *	  ciam_privacy.paillier_key contains public keys (name, fingerprint, n,
 *	  g) and is readable by everyone. ciam_privacy.paillier_private_key has
 *	  the primes p and q and grants nothing to PUBLIC;
 *	  ciam_privacy.paillier_decrypt_grant lists the roles the data owner
 *	  allows to decrypt with each key. A key may also have no private row:
 *	  its private key then lives outside the database (a key pair made by
 *	  paillier-bigint, say), and only its holder can decrypt.
 *
 * How the C code reads them
 *	  Lookups run through SPI as the owner of the key tables, with a fixed
 *	  query text whose names and operators are all schema-qualified, so the
 *	  caller's search_path cannot substitute an operator of their own. The
 *	  private key is read only after the calling role (current_user before
 *	  the switch) has been found in the grant list, or is a superuser.
 *	  Private key values reach SPI only as parameters, never in query text,
 *	  so neither the server log nor pg_stat_statements can record them, and
 *	  no error message of this file contains them.
 *
 * Public key cache
 *	  A fingerprint names one (n, g) forever, since it is a hash of both, so
 *	  cached public keys are never invalidated. A key deleted from the table
 *	  stays usable in a backend that loaded it for adding ciphertexts, but
 *	  paillier_encrypt() and paillier_decrypt() look the name up again for
 *	  each call site's FmgrInfo. Private keys live only as long as that
 *	  FmgrInfo: one statement, or for a PL/pgSQL simple expression, which
 *	  keeps its FmgrInfo for the transaction, one transaction.
 *
 * Encryption randomness: the Damgard-Jurik-Nielsen short exponent
 *	  Encryption needs r^n mod n^2 for a fresh random r. Computing it costs
 *	  a full exponentiation. In the variant of Damgard, Jurik and Nielsen
 *	  ("A generalization of Paillier's public-key system with applications
 *	  to electronic voting"; the parameters as in the DJN description of
 *	  secretflow/heu, heu/library/algorithms/dj/README.md), each backend
 *	  draws once per key x in Z_n*, sets h = -x^2 mod n and hs = h^n mod n^2,
 *	  and then uses hs^a for a random a of ceil(k/2) bits, k the bits of n.
 *	  hs^a = (h^a)^n is an n-th power like r^n. The assumption is that h^a
 *	  for such a short a is indistinguishable from a uniform element of the
 *	  group that h generates. For an admissible n (p = q = 3 mod 4 and
 *	  gcd(p - 1, q - 1) = 2, which generated keys satisfy) that group is the
 *	  whole subgroup of Jacobi symbol 1. NOTE: imported keys cannot be
 *	  checked for admissibility without their factors. For them h may
 *	  generate a smaller subgroup, which this argument does not cover.
 *	  Since hs is fixed, hs^a comes from a table of hs^(j * 32^i) with one
 *	  multiplication per 5 bits of a: 205 multiplications modulo n^2 for a
 *	  2048-bit key. Entries are selected with mpn_sec_tabselect, which reads
 *	  the whole window, so the memory access pattern does not depend on a.
 *	  The operands have a fixed number of limbs.
 *	  NOTE: GMP documents mpn_mul_n and mpn_tdiv_qr as fast, not as free of
 *	  data-dependent timing. mpn_sec_mul and mpn_sec_div_r are documented as
 *	  free of it, but take twice as long, which would miss the encryption
 *	  rate target.
 */
#include "postgres.h"

#include <ctype.h>

#include <openssl/bn.h>

#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "executor/spi.h"
#include "storage/fd.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "ciam_privacy.h"
#include "paillier.h"

#define PAILLIER_SCHEMA "ciam_privacy"

/* Fixed-base tables kept per backend; each takes a few MB at 2048 bits */
#define PAILLIER_MAX_TABLES 4

/*
 * p and q must differ by at least 2^(bits/2 - 100): Fermat's method
 * factors n quickly when |p - q| is small.
 */
#define PAILLIER_PRIME_DISTANCE_SLACK 100

/* Imported moduli must have no factor below this bound */
#define PAILLIER_TRIAL_DIVISION_LIMIT 10000

static MemoryContext key_cache_context = NULL;
static HTAB *key_cache = NULL;
static uint64 table_clock = 0;

PG_FUNCTION_INFO_V1(paillier_generate_key_c);
PG_FUNCTION_INFO_V1(paillier_import_public_key_c);
PG_FUNCTION_INFO_V1(paillier_import_private_key_file_c);

/* The state saved while SPI runs as the owner of the key tables. */
typedef struct OwnerSpi
{
	Oid			caller;
	Oid			saved_user;
	int			saved_context;
} OwnerSpi;

static Oid
KeyTableOwner(void)
{
	Oid			namespace = get_namespace_oid(PAILLIER_SCHEMA, false);
	Oid			relid = get_relname_relid("paillier_key", namespace);
	HeapTuple	tuple;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table ciam_privacy.paillier_key does not exist"),
				 errhint("Install the extension with CREATE EXTENSION ciam_privacy.")));
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* Connect to SPI as the owner of the key tables; remember the caller. */
static void
BeginOwnerSpi(OwnerSpi *state)
{
	Oid			owner = KeyTableOwner();

	GetUserIdAndSecContext(&state->saved_user, &state->saved_context);
	state->caller = state->saved_user;
	SetUserIdAndSecContext(owner, state->saved_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/* Leave SPI and restore the caller's identity. */
static void
EndOwnerSpi(OwnerSpi *state)
{
	SPI_finish();
	SetUserIdAndSecContext(state->saved_user, state->saved_context);
}

static bytea *
BytesToBytea(const uint8 *bytes, size_t len)
{
	bytea	   *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), bytes, len);
	return result;
}

/* Copy a bytea column of the current SPI row into the upper context. */
static bytea *
SpiGetBytea(int row, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[row],
									  SPI_tuptable->tupdesc, column, &isnull);

	if (isnull)
		return NULL;
	return (bytea *) SPI_datumTransfer(value, false, -1);
}

static void
AppendLengthPrefixed(pg_cryptohash_ctx *ctx, const mpz_t value)
{
	bytea	   *bytes = MpzToBytea(value);
	uint32		len = pg_hton32(VARSIZE(bytes) - VARHDRSZ);

	if (pg_cryptohash_update(ctx, (uint8 *) &len, sizeof(len)) < 0 ||
		pg_cryptohash_update(ctx, (uint8 *) VARDATA(bytes),
							 VARSIZE(bytes) - VARHDRSZ) < 0)
		elog(ERROR, "could not compute a SHA-256 digest");
	pfree(bytes);
}

/* Compute the key fingerprint: the first 16 bytes of SHA-256 over n and g. */
static void
ComputeFingerprint(const mpz_t n, const mpz_t g, uint8 *fingerprint)
{
	static const char domain[] = "ciam_privacy paillier public key v1";
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[32];

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) domain, sizeof(domain)) < 0)
		elog(ERROR, "could not compute a SHA-256 digest");
	AppendLengthPrefixed(ctx, n);
	AppendLengthPrefixed(ctx, g);
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute a SHA-256 digest");
	pg_cryptohash_free(ctx);
	memcpy(fingerprint, digest, PAILLIER_FINGERPRINT_LEN);
}

static char *
FingerprintHex(const uint8 *fingerprint)
{
	char	   *hex = palloc(PAILLIER_FINGERPRINT_LEN * 2 + 1);

	hex_encode((const char *) fingerprint, PAILLIER_FINGERPRINT_LEN, hex);
	hex[PAILLIER_FINGERPRINT_LEN * 2] = '\0';
	return hex;
}

static void
EnsureKeyCache(void)
{
	HASHCTL		ctl;

	if (key_cache != NULL)
		return;
	key_cache_context = AllocSetContextCreate(TopMemoryContext,
											  "Paillier key cache",
											  ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = PAILLIER_FINGERPRINT_LEN;
	ctl.entrysize = sizeof(PaillierKey);
	ctl.hcxt = key_cache_context;
	key_cache = hash_create("Paillier public keys", 16, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	PaillierInstallGmpCallbacks();
}

/*
 * Check that n and g can form a Paillier public key. n: between 2048 and
 * 8192 bits, odd, not prime; g: in (0, n^2) and a unit. Raise an error
 * otherwise.
 */
static void
ValidatePublicKey(const mpz_t n, const mpz_t g)
{
	size_t		bits = mpz_sizeinbase(n, 2);
	mpz_t		n2,
				gcd;

	if (mpz_sgn(n) <= 0 || bits < PAILLIER_MIN_BITS || bits > PAILLIER_MAX_BITS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Paillier modulus of %zu bits is out of range", bits),
				 errdetail("The modulus n must have %d to %d bits.",
						   PAILLIER_MIN_BITS, PAILLIER_MAX_BITS)));
	for (unsigned long divisor = 3; divisor < PAILLIER_TRIAL_DIVISION_LIMIT; divisor += 2)
	{
		if (mpz_divisible_ui_p(n, divisor))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid Paillier modulus"),
					 errdetail("The modulus n has the small factor %lu.", divisor)));
	}
	if (mpz_even_p(n) || mpz_probab_prime_p(n, 25) != 0 || mpz_perfect_power_p(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid Paillier modulus"),
				 errdetail("The modulus n must be the product of two distinct odd primes.")));
	mpz_inits(n2, gcd, NULL);
	mpz_mul(n2, n, n);
	mpz_gcd(gcd, g, n);
	if (mpz_sgn(g) <= 0 || mpz_cmp(g, n2) >= 0 || mpz_cmp_ui(gcd, 1) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid Paillier generator g"),
				 errdetail("g must satisfy 0 < g < n^2 and gcd(g, n) = 1.")));
	mpz_clears(n2, gcd, NULL);
}

/* Fill a cache entry from n and g; runs in the cache context. */
static void
InitCachedKey(PaillierKey *key, const char *name, const mpz_t n, const mpz_t g)
{
	MemoryContext old = MemoryContextSwitchTo(key_cache_context);

	strlcpy(key->name, name, sizeof(key->name));
	key->bits = (int) mpz_sizeinbase(n, 2);
	key->cipher_bytes = 2 * (int) ((key->bits + 7) / 8);
	mpz_init_set(key->n, n);
	mpz_init(key->n2);
	mpz_mul(key->n2, n, n);
	mpz_init_set(key->g, g);
	mpz_init(key->max_int);
	mpz_fdiv_q_ui(key->max_int, n, 3);
	mpz_sub_ui(key->max_int, key->max_int, 1);
	{
		mpz_t		n_plus_1;

		mpz_init(n_plus_1);
		mpz_add_ui(n_plus_1, n, 1);
		key->simple_g = mpz_cmp(n_plus_1, g) == 0;
		mpz_clear(n_plus_1);
	}
	key->table = NULL;
	key->windows = 0;
	key->n2_limbs = (mp_size_t) mpz_size(key->n2);
	key->n2_limb_copy = palloc(key->n2_limbs * sizeof(mp_limb_t));
	mpz_export(key->n2_limb_copy, NULL, -1, sizeof(mp_limb_t), 0, 0, key->n2);
	key->table_used = 0;
	MemoryContextSwitchTo(old);
}

/*
 * Return the public key with this fingerprint, loading it into the cache.
 * Without such a key, return NULL if missing_ok, else raise an error.
 */
PaillierKey *
PaillierKeyByFingerprint(const uint8 *fingerprint, bool missing_ok)
{
	PaillierKey *key;
	bool		found;
	OwnerSpi	spi;
	Oid			argtypes[1] = {BYTEAOID};
	Datum		args[1];
	int			rc;
	char	   *name = NULL;
	bytea	   *n_bytes = NULL;
	bytea	   *g_bytes = NULL;
	mpz_t		n,
				g;
	uint8		check[PAILLIER_FINGERPRINT_LEN];
	MemoryContext caller_context;

	EnsureKeyCache();
	key = hash_search(key_cache, fingerprint, HASH_FIND, NULL);
	if (key != NULL && key->valid)
		return key;

	args[0] = PointerGetDatum(BytesToBytea(fingerprint, PAILLIER_FINGERPRINT_LEN));
	caller_context = CurrentMemoryContext;
	BeginOwnerSpi(&spi);
	rc = SPI_execute_with_args("SELECT name, n, g FROM " PAILLIER_SCHEMA ".paillier_key"
							   " WHERE fingerprint OPERATOR(pg_catalog.=) $1",
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		char	   *spi_name = SPI_getvalue(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1);

		name = MemoryContextStrdup(caller_context, spi_name);
		n_bytes = SpiGetBytea(0, 2);
		g_bytes = SpiGetBytea(0, 3);
	}
	EndOwnerSpi(&spi);

	if (name == NULL)
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("Paillier key with fingerprint %s does not exist",
						FingerprintHex(fingerprint)),
				 errhint("Import the public key with ciam_privacy.paillier_import_public_key().")));
	}

	PaillierGmpBegin();
	mpz_inits(n, g, NULL);
	MpzFromBytes(n, (uint8 *) VARDATA_ANY(n_bytes), VARSIZE_ANY_EXHDR(n_bytes));
	MpzFromBytes(g, (uint8 *) VARDATA_ANY(g_bytes), VARSIZE_ANY_EXHDR(g_bytes));
	ComputeFingerprint(n, g, check);
	if (memcmp(check, fingerprint, PAILLIER_FINGERPRINT_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("Paillier key \"%s\" does not match its fingerprint", name)));
	key = hash_search(key_cache, fingerprint, HASH_ENTER, &found);
	key->valid = false;
	InitCachedKey(key, name, n, g);
	key->valid = true;
	mpz_clears(n, g, NULL);
	PaillierGmpEnd();
	return key;
}

/* Return the public key named name; raise an error if there is none. */
PaillierKey *
PaillierKeyByName(text *name)
{
	OwnerSpi	spi;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {PointerGetDatum(name)};
	uint8		fingerprint[PAILLIER_FINGERPRINT_LEN];
	bool		found = false;
	int			rc;
	PaillierKey *key;

	BeginOwnerSpi(&spi);
	rc = SPI_execute_with_args("SELECT fingerprint FROM " PAILLIER_SCHEMA ".paillier_key"
							   " WHERE name OPERATOR(pg_catalog.=) $1",
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		bool		isnull;
		bytea	   *value = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc,
														  1, &isnull));

		if (!isnull && VARSIZE_ANY_EXHDR(value) == PAILLIER_FINGERPRINT_LEN)
		{
			memcpy(fingerprint, VARDATA_ANY(value), PAILLIER_FINGERPRINT_LEN);
			found = true;
		}
	}
	EndOwnerSpi(&spi);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("Paillier key \"%s\" does not exist", text_to_cstring(name))));
	key = PaillierKeyByFingerprint(fingerprint, false);
	/* A key dropped and imported again under another name keeps its cache entry */
	text_to_cstring_buffer(name, key->name, sizeof(key->name));
	return key;
}

/*
 * Run an INSERT whose parameters carry key material, inside an OwnerSpi
 * bracket. A one-shot plan, as SPI_execute_with_args() makes, puts the
 * parameter values into the plan as constants, and auto_explain with
 * log_verbose would then print the primes in the plan's output list. A
 * generic plan keeps them as $n.
 * NOTE: auto_explain.log_parameter_max_length (PostgreSQL 16 and later)
 * would log the parameter values themselves; this extension targets 15.
 */
static void
ExecuteSecretInsert(const char *query, int nargs, Oid *argtypes, Datum *args)
{
	SPIPlanPtr	plan;
	int			rc;

	plan = SPI_prepare_cursor(query, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	rc = SPI_execute_plan(plan, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	SPI_freeplan(plan);
}

/* Insert a public key, and optionally its primes, as the table owner. */
static void
StoreKey(text *name, const uint8 *fingerprint, const mpz_t n, const mpz_t g,
		 const mpz_t p, const mpz_t q)
{
	OwnerSpi	spi;
	Oid			key_types[5] = {TEXTOID, BYTEAOID, INT4OID, BYTEAOID, BYTEAOID};
	Datum		key_args[5];
	Oid			private_types[3] = {BYTEAOID, BYTEAOID, BYTEAOID};
	Datum		private_args[3];
	bytea	   *p_bytes = NULL;
	bytea	   *q_bytes = NULL;
	int			rc;

	key_args[0] = PointerGetDatum(name);
	key_args[1] = PointerGetDatum(BytesToBytea(fingerprint, PAILLIER_FINGERPRINT_LEN));
	key_args[2] = Int32GetDatum((int32) mpz_sizeinbase(n, 2));
	key_args[3] = PointerGetDatum(MpzToBytea(n));
	key_args[4] = PointerGetDatum(MpzToBytea(g));
	if (p != NULL)
	{
		p_bytes = MpzToBytea(p);
		q_bytes = MpzToBytea(q);
		private_args[0] = key_args[1];
		private_args[1] = PointerGetDatum(p_bytes);
		private_args[2] = PointerGetDatum(q_bytes);
	}

	BeginOwnerSpi(&spi);
	rc = SPI_execute_with_args("INSERT INTO " PAILLIER_SCHEMA ".paillier_key"
							   " (name, fingerprint, modulus_bits, n, g)"
							   " VALUES ($1, $2, $3, $4, $5)",
							   5, key_types, key_args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (p != NULL)
	{
		ExecuteSecretInsert("INSERT INTO " PAILLIER_SCHEMA ".paillier_private_key"
							" (fingerprint, p, q) VALUES ($1, $2, $3)",
							3, private_types, private_args);
	}
	EndOwnerSpi(&spi);

	if (p_bytes != NULL)
	{
		explicit_bzero(p_bytes, VARSIZE(p_bytes));
		explicit_bzero(q_bytes, VARSIZE(q_bytes));
		pfree(p_bytes);
		pfree(q_bytes);
	}
}

/* Raise an error if a key of this name or fingerprint exists already. */
static void
RequireNewKey(text *name, const uint8 *fingerprint)
{
	OwnerSpi	spi;
	Oid			argtypes[2] = {TEXTOID, BYTEAOID};
	Datum		args[2];
	int			rc;
	bool		exists;

	args[0] = PointerGetDatum(name);
	args[1] = PointerGetDatum(BytesToBytea(fingerprint, PAILLIER_FINGERPRINT_LEN));
	BeginOwnerSpi(&spi);
	rc = SPI_execute_with_args("SELECT 1 FROM " PAILLIER_SCHEMA ".paillier_key"
							   " WHERE name OPERATOR(pg_catalog.=) $1"
							   " OR fingerprint OPERATOR(pg_catalog.=) $2",
							   2, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	exists = SPI_processed > 0;
	EndOwnerSpi(&spi);
	if (exists)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("Paillier key \"%s\" or a key with the same n and g exists already",
						text_to_cstring(name))));
}

static void
MpzFromBignum(mpz_t rop, const BIGNUM *bn)
{
	int			len = BN_num_bytes(bn);
	uint8	   *buf = palloc(Max(len, 1));

	BN_bn2bin(bn, buf);
	MpzFromBytes(rop, buf, len);
	explicit_bzero(buf, Max(len, 1));
	pfree(buf);
}

/*
 * Generate a prime p = 3 mod 4 of exactly bits bits with OpenSSL, whose
 * generator is seeded from the operating system.
 */
static void
GeneratePrime(mpz_t rop, int bits)
{
	BIGNUM	   *prime = BN_secure_new();
	BIGNUM	   *modulus = BN_new();
	BIGNUM	   *residue = BN_new();
	bool		ok;

	ok = prime != NULL && modulus != NULL && residue != NULL &&
		BN_set_word(modulus, 4) && BN_set_word(residue, 3) &&
		BN_generate_prime_ex(prime, bits, 0, modulus, residue, NULL);
	BN_free(modulus);
	BN_free(residue);
	if (!ok)
	{
		BN_clear_free(prime);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a prime with OpenSSL")));
	}
	MpzFromBignum(rop, prime);
	BN_clear_free(prime);
}

/*
 * paillier_generate_key_c(name text, bits int) returns bytea
 *	  Generate a key pair with g = n + 1, store it, return its fingerprint.
 */
Datum
paillier_generate_key_c(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	int32		bits = PG_GETARG_INT32(1);
	mpz_t		p,
				q,
				n,
				g,
				distance,
				phi,
				gcd;
	uint8		fingerprint[PAILLIER_FINGERPRINT_LEN];
	int			attempts = 0;

	if (bits < PAILLIER_MIN_BITS || bits > PAILLIER_MAX_BITS || bits % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Paillier modulus size %d is invalid", bits),
				 errdetail("The size must be an even number of bits from %d to %d; %d is the default.",
						   PAILLIER_MIN_BITS, PAILLIER_MAX_BITS, PAILLIER_DEFAULT_BITS)));

	PaillierGmpBegin();
	mpz_inits(p, q, n, g, distance, phi, gcd, NULL);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (++attempts > 100)
			elog(ERROR, "could not find suitable primes in 100 attempts");
		GeneratePrime(p, bits / 2);
		GeneratePrime(q, bits / 2);
		mpz_mul(n, p, q);
		if (mpz_sizeinbase(n, 2) != (size_t) bits)
			continue;
		/* |p - q| >= 2^(bits/2 - 100) */
		mpz_sub(distance, p, q);
		mpz_abs(distance, distance);
		if (mpz_sizeinbase(distance, 2) <= (size_t) (bits / 2 - PAILLIER_PRIME_DISTANCE_SLACK))
			continue;
		/* gcd(p - 1, q - 1) = 2, which makes n admissible for DJN */
		mpz_sub_ui(phi, p, 1);
		mpz_sub_ui(distance, q, 1);
		mpz_gcd(gcd, phi, distance);
		if (mpz_cmp_ui(gcd, 2) != 0)
			continue;
		/* gcd(n, (p - 1)(q - 1)) = 1, true for primes of equal size */
		mpz_mul(phi, phi, distance);
		mpz_gcd(gcd, n, phi);
		if (mpz_cmp_ui(gcd, 1) != 0)
			continue;
		break;
	}
	mpz_add_ui(g, n, 1);
	ComputeFingerprint(n, g, fingerprint);
	RequireNewKey(name, fingerprint);
	StoreKey(name, fingerprint, n, g, p, q);
	mpz_clears(p, q, n, g, distance, phi, gcd, NULL);
	PaillierGmpEnd();

	PG_RETURN_BYTEA_P(BytesToBytea(fingerprint, PAILLIER_FINGERPRINT_LEN));
}

/*
 * paillier_import_public_key_c(name text, n bytea, g bytea) returns bytea
 *	  Store a public key made elsewhere; g NULL means n + 1.
 */
Datum
paillier_import_public_key_c(PG_FUNCTION_ARGS)
{
	text	   *name;
	bytea	   *n_bytes;
	mpz_t		n,
				g;
	uint8		fingerprint[PAILLIER_FINGERPRINT_LEN];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("key name and modulus must not be null")));
	name = PG_GETARG_TEXT_PP(0);
	n_bytes = PG_GETARG_BYTEA_PP(1);

	PaillierGmpBegin();
	mpz_inits(n, g, NULL);
	MpzFromBytes(n, (uint8 *) VARDATA_ANY(n_bytes), VARSIZE_ANY_EXHDR(n_bytes));
	if (PG_ARGISNULL(2))
		mpz_add_ui(g, n, 1);
	else
	{
		bytea	   *g_bytes = PG_GETARG_BYTEA_PP(2);

		MpzFromBytes(g, (uint8 *) VARDATA_ANY(g_bytes), VARSIZE_ANY_EXHDR(g_bytes));
	}
	ValidatePublicKey(n, g);
	ComputeFingerprint(n, g, fingerprint);
	RequireNewKey(name, fingerprint);
	StoreKey(name, fingerprint, n, g, NULL, NULL);
	mpz_clears(n, g, NULL);
	PaillierGmpEnd();

	PG_RETURN_BYTEA_P(BytesToBytea(fingerprint, PAILLIER_FINGERPRINT_LEN));
}

/* Raise an error about a private key being imported. */
static void
RejectPrivateKey(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid Paillier private key: %s", message)));
}

/*
 * Compute h = L(g^(p-1) mod p^2)^-1 mod p, where L(x) = (x - 1) / p.
 * Return false if the inverse does not exist, which means g is not a valid
 * generator for this key.
 */
static bool
ComputeCrtFactor(mpz_t h, const mpz_t g, const mpz_t p, const mpz_t p2)
{
	mpz_t		exponent,
				x;
	bool		ok;

	mpz_inits(exponent, x, NULL);
	mpz_sub_ui(exponent, p, 1);
	mpz_mod(x, g, p2);
	mpz_powm_sec(x, x, exponent, p2);
	mpz_sub_ui(x, x, 1);
	mpz_divexact(x, x, p);
	ok = mpz_invert(h, x, p) != 0;
	mpz_clears(exponent, x, NULL);
	return ok;
}

/*
 * Check that p is a prime factor of the key's n, with q = n / p, and store
 * both. p is wiped by the caller; every value derived from it here is
 * wiped before this returns, on error too.
 */
static void
StorePrivateKey(const PaillierKey *key, const mpz_t p)
{
	mpz_t		q,
				p2,
				q2,
				hp,
				hq,
				rem;
	bytea	   *volatile p_bytes = NULL;
	bytea	   *volatile q_bytes = NULL;

	mpz_inits(q, p2, q2, hp, hq, rem, NULL);
	PG_TRY();
	{
		OwnerSpi	spi;
		Oid			argtypes[3] = {BYTEAOID, BYTEAOID, BYTEAOID};
		Datum		args[3];
		bool		valid;

		if (mpz_cmp_ui(p, 1) <= 0 || mpz_cmp(p, key->n) >= 0)
			RejectPrivateKey("p must lie between 1 and n");
		mpz_tdiv_qr(q, rem, key->n, p);
		if (mpz_sgn(rem) != 0)
			RejectPrivateKey("p does not divide n");
		if (mpz_probab_prime_p(p, 40) == 0 || mpz_probab_prime_p(q, 40) == 0)
			RejectPrivateKey("p and n / p must both be prime");
		if (mpz_cmp(p, q) == 0)
			RejectPrivateKey("p and n / p must differ");
		mpz_mul(p2, p, p);
		mpz_mul(q2, q, q);
		valid = ComputeCrtFactor(hp, key->g, p, p2) && ComputeCrtFactor(hq, key->g, q, q2);
		PaillierWipeStack();
		if (!valid)
			RejectPrivateKey("g is not a valid generator for this n");

		p_bytes = MpzToBytea(p);
		q_bytes = MpzToBytea(q);
		args[0] = PointerGetDatum(BytesToBytea(key->fingerprint, PAILLIER_FINGERPRINT_LEN));
		args[1] = PointerGetDatum(p_bytes);
		args[2] = PointerGetDatum(q_bytes);
		BeginOwnerSpi(&spi);
		ExecuteSecretInsert("INSERT INTO " PAILLIER_SCHEMA ".paillier_private_key"
							" (fingerprint, p, q) VALUES ($1, $2, $3)"
							" ON CONFLICT (fingerprint) DO NOTHING",
							3, argtypes, args);
		EndOwnerSpi(&spi);
	}
	PG_FINALLY();
	{
		if (p_bytes != NULL)
			explicit_bzero(p_bytes, VARSIZE(p_bytes));
		if (q_bytes != NULL)
			explicit_bzero(q_bytes, VARSIZE(q_bytes));
		/* GmpFree zeroes each block */
		mpz_clears(q, p2, q2, hp, hq, rem, NULL);
	}
	PG_END_TRY();
}

/*
 * Largest private key file read: a decimal prime of an 8192-bit modulus
 * has at most 1234 digits, and paillier-bigint's larger prime one bit more.
 */
#define PAILLIER_PRIVATE_KEY_FILE_MAX 4096

/*
 * Parse the contents of a private key file: one decimal integer, the
 * prime p or q, with optional surrounding whitespace. Return false if the
 * text is anything else.
 */
static bool
ParsePrimeText(char *text, size_t len, mpz_t p)
{
	size_t		start = 0;
	size_t		stop = len;

	while (start < stop && isspace((unsigned char) text[start]))
		start++;
	while (stop > start && isspace((unsigned char) text[stop - 1]))
		stop--;
	if (start == stop)
		return false;
	for (size_t i = start; i < stop; i++)
	{
		if (text[i] < '0' || text[i] > '9')
			return false;
	}
	text[stop] = '\0';
	return mpz_set_str(p, text + start, 10) == 0;
}

/*
 * paillier_import_private_key_file_c(name text, path text) returns void
 *	  Read a prime of an imported public key from a server-side file and
 *	  store the private key (q = n / p). The prime never appears in
 *	  statement text, so log_statement, auto_explain, pg_stat_activity and
 *	  pg_stat_statements cannot record it. Superuser only, since it reads a
 *	  file on the server; the file must be readable by its owner only.
 */
Datum
paillier_import_private_key_file_c(PG_FUNCTION_ARGS)
{
	const PaillierKey *key;
	char	   *path;
	char		buffer[PAILLIER_PRIVATE_KEY_FILE_MAX + 1];
	char		problem[512];
	ssize_t		len;
	int			fd;
	mpz_t		p;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to import a Paillier private key from a file"),
				 errdetail("Only superusers can read server-side key files.")));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("key name and path must not be null")));
	key = PaillierKeyByName(PG_GETARG_TEXT_PP(0));
	path = text_to_cstring(PG_GETARG_TEXT_PP(1));

	/*
	 * A relative path is not echoed: a caller who passes the prime itself in
	 * place of a path would otherwise find it in the error message.
	 */
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Paillier private key file path is not absolute"),
				 errhint("Write the prime, in decimal, to a file readable by the server's user only, and pass its absolute path.")));

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open Paillier private key file \"%s\": %m", path)));
	len = ReadKeyFile(fd, path, buffer, sizeof(buffer), problem, sizeof(problem));
	CloseTransientFile(fd);

	PaillierGmpBegin();
	mpz_init(p);
	PG_TRY();
	{
		bool		parsed = false;

		if (len >= 0)
		{
			parsed = ParsePrimeText(buffer, (size_t) len, p);
			if (!parsed)
				snprintf(problem, sizeof(problem),
						 "the file must contain one decimal integer, the prime p or q");
		}
		explicit_bzero(buffer, sizeof(buffer));
		if (!parsed)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid Paillier private key file \"%s\"", path),
					 errdetail("%s.", problem)));
		StorePrivateKey(key, p);
	}
	PG_FINALLY();
	{
		explicit_bzero(buffer, sizeof(buffer));
		mpz_clear(p);
	}
	PG_END_TRY();
	PaillierGmpEnd();
	PG_RETURN_VOID();
}

/* Return true if role may decrypt with the key: a superuser or a grantee. */
static bool
MayDecrypt(Oid role, const PaillierKey *key)
{
	OwnerSpi	spi;
	Oid			argtypes[1] = {BYTEAOID};
	Datum		args[1];
	bool		allowed = false;
	int			rc;

	if (superuser_arg(role))
		return true;
	args[0] = PointerGetDatum(BytesToBytea(key->fingerprint, PAILLIER_FINGERPRINT_LEN));
	BeginOwnerSpi(&spi);
	rc = SPI_execute_with_args("SELECT grantee::pg_catalog.oid FROM "
							   PAILLIER_SCHEMA ".paillier_decrypt_grant"
							   " WHERE fingerprint OPERATOR(pg_catalog.=) $1",
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed && !allowed; i++)
	{
		bool		isnull;
		Oid			grantee = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
															 SPI_tuptable->tupdesc,
															 1, &isnull));

		if (!isnull && has_privs_of_role(role, grantee))
			allowed = true;
	}
	EndOwnerSpi(&spi);
	return allowed;
}

/*
 * Refuse analysts: a role with a privacy budget, or any role in a session
 * whose login role has one (so not through a SECURITY DEFINER function
 * either) unless that login role is a superuser. A decrypted sum is exact,
 * released without noise and without a charge. The check reads only the
 * roles, never the ciphertext, so the refusal is the same for every value.
 */
static void
CheckNotAnalyst(const PaillierKey *key)
{
	Oid			user = GetUserId();
	Oid			login = GetAuthenticatedUserId();
	Oid			analyst = InvalidOid;

	if (RoleHasBudget(user))
		analyst = user;
	else if (!superuser_arg(login) && RoleHasBudget(login))
		analyst = login;
	if (OidIsValid(analyst))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to decrypt with Paillier key \"%s\"", key->name),
				 errdetail("Role \"%s\" has a privacy budget, and analyst roles cannot decrypt: a decrypted sum is exact.",
						   GetUserNameFromId(analyst, false))));
}

/*
 * Load the private key of key for the current user, in CurrentMemoryContext,
 * after checking that the user may decrypt with it. Free it with
 * PaillierFreePrivateKey(), which zeroes it.
 */
PaillierPrivateKey *
PaillierLoadPrivateKey(const PaillierKey *key)
{
	PaillierPrivateKey *priv;
	OwnerSpi	spi;
	Oid			argtypes[1] = {BYTEAOID};
	Datum		args[1];
	bytea	   *volatile p_bytes = NULL;
	bytea	   *volatile q_bytes = NULL;
	int			rc;
	bool		valid;

	CheckNotAnalyst(key);
	if (!MayDecrypt(GetUserId(), key))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to decrypt with Paillier key \"%s\"", key->name),
				 errhint("The data owner grants decryption with ciam_privacy.paillier_grant_decrypt().")));

	args[0] = PointerGetDatum(BytesToBytea(key->fingerprint, PAILLIER_FINGERPRINT_LEN));
	BeginOwnerSpi(&spi);
	rc = SPI_execute_with_args("SELECT p, q FROM " PAILLIER_SCHEMA ".paillier_private_key"
							   " WHERE fingerprint OPERATOR(pg_catalog.=) $1",
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];

		p_bytes = SpiGetBytea(0, 1);
		q_bytes = SpiGetBytea(0, 2);
		/* SPI_finish() frees the result without zeroing it */
		explicit_bzero(tuple->t_data, tuple->t_len);
	}
	EndOwnerSpi(&spi);
	if (p_bytes == NULL || q_bytes == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the private key of Paillier key \"%s\" is not in the database",
						key->name),
				 errhint("Decrypt where the private key is kept, or import it with ciam_privacy.paillier_import_private_key_file().")));

	priv = palloc0(sizeof(PaillierPrivateKey));
	priv->key = key;
	PaillierGmpBegin();
	mpz_inits(priv->p, priv->q, priv->p2, priv->q2, priv->hp, priv->hq,
			  priv->p_inv_q, NULL);
	PG_TRY();
	{
		MpzFromBytes(priv->p, (uint8 *) VARDATA_ANY(p_bytes), VARSIZE_ANY_EXHDR(p_bytes));
		MpzFromBytes(priv->q, (uint8 *) VARDATA_ANY(q_bytes), VARSIZE_ANY_EXHDR(q_bytes));
		mpz_mul(priv->p2, priv->p, priv->p);
		mpz_mul(priv->q2, priv->q, priv->q);
		valid = ComputeCrtFactor(priv->hp, key->g, priv->p, priv->p2) &&
			ComputeCrtFactor(priv->hq, key->g, priv->q, priv->q2) &&
			mpz_invert(priv->p_inv_q, priv->p, priv->q) != 0;
		PaillierWipeStack();
		if (!valid)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the stored private key of Paillier key \"%s\" is invalid",
							key->name)));
	}
	PG_CATCH();
	{
		/* Whatever was loaded before the error is wiped, not just freed */
		explicit_bzero(p_bytes, VARSIZE_ANY(p_bytes));
		explicit_bzero(q_bytes, VARSIZE_ANY(q_bytes));
		PaillierFreePrivateKey(priv);
		PG_RE_THROW();
	}
	PG_END_TRY();
	explicit_bzero(p_bytes, VARSIZE_ANY(p_bytes));
	explicit_bzero(q_bytes, VARSIZE_ANY(q_bytes));
	pfree(p_bytes);
	pfree(q_bytes);
	PaillierGmpEnd();
	return priv;
}

/* Zero and free a private key. */
void
PaillierFreePrivateKey(PaillierPrivateKey *priv)
{
	PaillierGmpBegin();
	mpz_clears(priv->p, priv->q, priv->p2, priv->q2, priv->hp, priv->hq,
			   priv->p_inv_q, NULL);
	PaillierGmpEnd();
	explicit_bzero(priv, sizeof(*priv));
	pfree(priv);
}

/* Compute m_p = L_p(c^(p-1) mod p^2) * h_p mod p, with secret exponent. */
static void
DecryptModPrime(mpz_t rop, const mpz_t c, const mpz_t p, const mpz_t p2,
				const mpz_t h)
{
	mpz_t		exponent;

	mpz_init(exponent);
	mpz_sub_ui(exponent, p, 1);
	mpz_mod(rop, c, p2);
	mpz_powm_sec(rop, rop, exponent, p2);
	mpz_sub_ui(rop, rop, 1);
	mpz_divexact(rop, rop, p);
	mpz_mul(rop, rop, h);
	mpz_mod(rop, rop, p);
	mpz_clear(exponent);
}

/*
 * Set m to the plaintext of c in [0, n), by the Chinese remainder theorem:
 * m = m_p + p * ((m_q - m_p) * p^-1 mod q). The caller brackets the call
 * with PaillierGmpBegin() and PaillierGmpEnd().
 */
void
PaillierDecryptRaw(const PaillierPrivateKey *priv, mpz_t m, const mpz_t c)
{
	mpz_t		mp,
				mq;

	mpz_inits(mp, mq, NULL);
	DecryptModPrime(mp, c, priv->p, priv->p2, priv->hp);
	DecryptModPrime(mq, c, priv->q, priv->q2, priv->hq);
	PaillierWipeStack();
	mpz_sub(mq, mq, mp);
	mpz_mul(mq, mq, priv->p_inv_q);
	mpz_mod(mq, mq, priv->q);
	mpz_mul(m, mq, priv->p);
	mpz_add(m, m, mp);
	mpz_clears(mp, mq, NULL);
}

/* Free the least recently used fixed-base table if too many are kept. */
static void
EvictTables(void)
{
	HASH_SEQ_STATUS status;
	PaillierKey *entry;
	PaillierKey *oldest = NULL;
	int			count = 0;

	hash_seq_init(&status, key_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (!entry->valid || entry->table == NULL)
			continue;
		count++;
		if (oldest == NULL || entry->table_used < oldest->table_used)
			oldest = entry;
	}
	if (count >= PAILLIER_MAX_TABLES && oldest != NULL)
	{
		pfree(oldest->table);
		oldest->table = NULL;
	}
}

/* Multiply a by b modulo n^2 on fixed-size limb arrays, into a. */
static inline void
MulModN2(PaillierKey *key, mp_limb_t *a, const mp_limb_t *b,
		 mp_limb_t *product, mp_limb_t *quotient)
{
	mp_size_t	k = key->n2_limbs;

	mpn_mul_n(product, a, b, k);
	mpn_tdiv_qr(quotient, a, 0, product, 2 * k, key->n2_limb_copy, k);
}

/* Build the fixed-base table of hs^(j * 32^i) for a fresh random h. */
static void
BuildTable(PaillierKey *key)
{
	mp_size_t	k = key->n2_limbs;
	int			exponent_bits = (key->bits + 1) / 2;
	int			windows = (exponent_bits + PAILLIER_WINDOW_BITS - 1) / PAILLIER_WINDOW_BITS;
	size_t		entries = (size_t) windows * PAILLIER_WINDOW_ENTRIES;
	mp_limb_t  *table;
	mp_limb_t  *product = palloc(2 * k * sizeof(mp_limb_t));
	mp_limb_t  *quotient = palloc((k + 1) * sizeof(mp_limb_t));
	mp_limb_t  *base = palloc(k * sizeof(mp_limb_t));
	mpz_t		x,
				h,
				gcd;

	EvictTables();
	table = MemoryContextAllocHuge(key_cache_context, entries * k * sizeof(mp_limb_t));

	/* h = -x^2 mod n for a random unit x; hs = h^n mod n^2 */
	mpz_inits(x, h, gcd, NULL);
	do
	{
		MpzRandomBelow(x, key->n);
		mpz_gcd(gcd, x, key->n);
	} while (mpz_sgn(x) == 0 || mpz_cmp_ui(gcd, 1) != 0);
	mpz_mul(h, x, x);
	mpz_mod(h, h, key->n);
	mpz_sub(h, key->n, h);
	mpz_powm(h, h, key->n, key->n2);
	memset(base, 0, k * sizeof(mp_limb_t));
	mpz_export(base, NULL, -1, sizeof(mp_limb_t), 0, 0, h);
	mpz_clears(x, h, gcd, NULL);

	for (int i = 0; i < windows; i++)
	{
		mp_limb_t  *row = table + (size_t) i * PAILLIER_WINDOW_ENTRIES * k;

		/* row[0] = 1, row[j] = row[j - 1] * base */
		memset(row, 0, k * sizeof(mp_limb_t));
		row[0] = 1;
		for (int j = 1; j < PAILLIER_WINDOW_ENTRIES; j++)
		{
			memcpy(row + j * k, row + (j - 1) * k, k * sizeof(mp_limb_t));
			MulModN2(key, row + j * k, base, product, quotient);
		}
		/* the next base is base^32 = row[31] * base */
		MulModN2(key, base, row + (PAILLIER_WINDOW_ENTRIES - 1) * k,
				 product, quotient);
	}
	pfree(product);
	pfree(quotient);
	pfree(base);
	key->table = table;
	key->windows = windows;
}

/*
 * Set rop to a random n-th power modulo n^2, hs^a for a random a of
 * ceil(bits/2) bits (see the header). The caller brackets the call with
 * PaillierGmpBegin() and PaillierGmpEnd().
 */
void
PaillierRandomNthPower(PaillierKey *key, mpz_t rop)
{
	mp_size_t	k = key->n2_limbs;
	int			windows;
	size_t		exponent_bytes;
	uint8	   *exponent;
	mp_limb_t  *acc;
	mp_limb_t  *selected;
	mp_limb_t  *product;
	mp_limb_t  *quotient;
	mpz_t		view;

	if (key->table == NULL)
		BuildTable(key);
	key->table_used = ++table_clock;
	windows = key->windows;
	exponent_bytes = ((size_t) windows * PAILLIER_WINDOW_BITS + 7) / 8;
	exponent = palloc(exponent_bytes);
	acc = palloc(k * sizeof(mp_limb_t));
	selected = palloc(k * sizeof(mp_limb_t));
	product = palloc(2 * k * sizeof(mp_limb_t));
	quotient = palloc((k + 1) * sizeof(mp_limb_t));
	if (!pg_strong_random(exponent, exponent_bytes))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes")));

	for (int i = 0; i < windows; i++)
	{
		int			bit = i * PAILLIER_WINDOW_BITS;
		unsigned int two_bytes;
		mp_limb_t	digit;

		/* Bits [bit, bit + 5) of the exponent, read little-endian */
		two_bytes = exponent[bit / 8];
		if (bit / 8 + 1 < (int) exponent_bytes)
			two_bytes |= (unsigned int) exponent[bit / 8 + 1] << 8;
		digit = (two_bytes >> (bit % 8)) & (PAILLIER_WINDOW_ENTRIES - 1);

		mpn_sec_tabselect(i == 0 ? acc : selected,
						  key->table + (size_t) i * PAILLIER_WINDOW_ENTRIES * k,
						  k, PAILLIER_WINDOW_ENTRIES, digit);
		if (i > 0)
			MulModN2(key, acc, selected, product, quotient);
	}
	mpz_set(rop, mpz_roinit_n(view, acc, k));

	explicit_bzero(exponent, exponent_bytes);
	explicit_bzero(acc, k * sizeof(mp_limb_t));
	explicit_bzero(selected, k * sizeof(mp_limb_t));
	explicit_bzero(product, 2 * k * sizeof(mp_limb_t));
	explicit_bzero(quotient, (k + 1) * sizeof(mp_limb_t));
	pfree(exponent);
	pfree(acc);
	pfree(selected);
	pfree(product);
	pfree(quotient);
}
