/*
 * paillier.c
 *	  The paillier_ciphertext type and its operations: encryption,
 *	  homomorphic addition and scalar multiplication, the sum aggregate,
 *	  re-randomization and decryption.
 *
 * What is protected, and from whom
 *	  The database stores and adds values it cannot read. A role that may
 *	  use ciphertexts but not decrypt (the analyst) must learn nothing about
 *	  their plaintexts. So:
 *	  - no function other than paillier_decrypt() reads a plaintext, and it
 *	    checks the caller's right to the key before it looks at the
 *	    ciphertext. Every other error depends only on public data (lengths,
 *	    fingerprints, scales, recorded bounds, the ciphertext value itself);
 *	  - every ciphertext is checked where it enters: text and binary input,
 *	    import from a decimal. Checks: a registered key, 0 < c < n^2,
 *	    gcd(c, n) = 1. Values built by these functions are valid by
 *	    construction; the aggregate checks each row's range and checks
 *	    gcd(product, n) = 1 once at the end, which holds if and only if
 *	    every factor was a unit;
 *	  - ciphertexts of different keys, or of different scales, are never
 *	    combined.
 *
 * Plaintext encoding
 *	  A plaintext m in [0, n) stands for m if m <= max_int and for m - n if
 *	  m >= n - max_int, with max_int = floor(n/3) - 1, as in python-paillier
 *	  (phe.paillier.PaillierPublicKey.max_int). A decrypted m between the two
 *	  bands is an overflow and raises an error. Wrapping past n could land
 *	  in the wrong band, so each ciphertext also records a bound B, public
 *	  and independent of the value, with |m| < 2^B: 64 for an encrypted
 *	  bigint, 128 for a numeric, max + 1 after an addition, plus
 *	  ceil(log2(count)) after a sum, plus ceil(log2(|k|)) after multiplying
 *	  by k. An operation whose bound would exceed bits(n) - 3, so that
 *	  |m| might reach n/4, raises an error. Decryption also rejects a value
 *	  outside its recorded bound, which only an altered or wrongly imported
 *	  ciphertext can produce. A numeric is encrypted as value * 10^scale; the
 *	  scale travels with the ciphertext.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "paillier.h"

typedef struct PaillierSumState
{
	PaillierKey *key;
	int16		scale;
	int16		max_bound;
	int64		count;
	mpz_t		product;		/* in the aggregate context */
	mpz_t		factor;
	mpz_t		scratch;
} PaillierSumState;

/*
 * What one call site keeps in fn_extra for the rest of its statement: the
 * key its name argument named, and for paillier_decrypt() the private key.
 */
typedef struct CallCache
{
	text	   *name;
	PaillierKey *key;
	Oid			user;
	const PaillierKey *private_key_of;
	PaillierPrivateKey *priv;
} CallCache;

PG_FUNCTION_INFO_V1(paillier_ciphertext_in);
PG_FUNCTION_INFO_V1(paillier_ciphertext_out);
PG_FUNCTION_INFO_V1(paillier_ciphertext_recv);
PG_FUNCTION_INFO_V1(paillier_ciphertext_send);
PG_FUNCTION_INFO_V1(paillier_encrypt_bigint);
PG_FUNCTION_INFO_V1(paillier_encrypt_numeric);
PG_FUNCTION_INFO_V1(paillier_decrypt);
PG_FUNCTION_INFO_V1(paillier_add);
PG_FUNCTION_INFO_V1(paillier_sub);
PG_FUNCTION_INFO_V1(paillier_mul);
PG_FUNCTION_INFO_V1(paillier_mul_commuted);
PG_FUNCTION_INFO_V1(paillier_rerandomize);
PG_FUNCTION_INFO_V1(paillier_sum_transfn);
PG_FUNCTION_INFO_V1(paillier_sum_combinefn);
PG_FUNCTION_INFO_V1(paillier_sum_serialize);
PG_FUNCTION_INFO_V1(paillier_sum_deserialize);
PG_FUNCTION_INFO_V1(paillier_sum_finalfn);
PG_FUNCTION_INFO_V1(paillier_ciphertext_import);
PG_FUNCTION_INFO_V1(paillier_ciphertext_value);
PG_FUNCTION_INFO_V1(paillier_ciphertext_key);
PG_FUNCTION_INFO_V1(paillier_ciphertext_scale);
PG_FUNCTION_INFO_V1(paillier_bytes_to_numeric);
PG_FUNCTION_INFO_V1(paillier_numeric_to_bytes);

/* Header fields of a ciphertext datum, read without alignment assumptions */
typedef struct CiphertextHeader
{
	uint8		fingerprint[PAILLIER_FINGERPRINT_LEN];
	int16		scale;
	int16		bound;
} CiphertextHeader;

static void
ReadHeader(const uint8 *data, CiphertextHeader *header)
{
	memcpy(header->fingerprint, data, PAILLIER_FINGERPRINT_LEN);
	memcpy(&header->scale, data + PAILLIER_FINGERPRINT_LEN, sizeof(int16));
	memcpy(&header->bound, data + PAILLIER_FINGERPRINT_LEN + 2, sizeof(int16));
}

/* Read a ciphertext argument: its header, its key and c. */
static PaillierKey *
ReadCiphertext(bytea *datum, CiphertextHeader *header, mpz_t c)
{
	const uint8 *data = (const uint8 *) VARDATA_ANY(datum);
	size_t		len = VARSIZE_ANY_EXHDR(datum);
	PaillierKey *key;

	if (len < PAILLIER_HEADER_LEN)
		elog(ERROR, "Paillier ciphertext datum of %zu bytes is too short", len);
	ReadHeader(data, header);
	key = PaillierKeyByFingerprint(header->fingerprint, false);
	if (len != PAILLIER_HEADER_LEN + (size_t) key->cipher_bytes)
		elog(ERROR, "Paillier ciphertext datum has %zu bytes, expected %d",
			 len, PAILLIER_HEADER_LEN + key->cipher_bytes);
	MpzFromBytes(c, data + PAILLIER_HEADER_LEN, key->cipher_bytes);
	return key;
}

/* Build a ciphertext datum; c must lie in (0, n^2). */
static bytea *
MakeCiphertext(const PaillierKey *key, int scale, int bound, const mpz_t c)
{
	size_t		len = PAILLIER_HEADER_LEN + key->cipher_bytes;
	bytea	   *result = palloc(VARHDRSZ + len);
	uint8	   *data = (uint8 *) VARDATA(result);
	int16		scale16 = (int16) scale;
	int16		bound16 = (int16) bound;

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(data, key->fingerprint, PAILLIER_FINGERPRINT_LEN);
	memcpy(data + PAILLIER_FINGERPRINT_LEN, &scale16, sizeof(int16));
	memcpy(data + PAILLIER_FINGERPRINT_LEN + 2, &bound16, sizeof(int16));
	MpzToFixedBytes(c, data + PAILLIER_HEADER_LEN, key->cipher_bytes);
	return result;
}

/* Largest bound a ciphertext of this key may carry: |m| < 2^(bits - 3). */
static int
MaxBound(const PaillierKey *key)
{
	return key->bits - 3;
}

static void
CheckBound(const PaillierKey *key, int64 bound)
{
	if (bound > MaxBound(key))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("Paillier plaintext could exceed the range of key \"%s\"", key->name),
				 errdetail("The result could reach 2^%lld in magnitude; a %d-bit key holds less than 2^%d.",
						   (long long) bound, key->bits, MaxBound(key))));
}

/*
 * Check a ciphertext entering the database: scale and bound in range,
 * 0 < c < n^2 and gcd(c, n) = 1. code is the SQLSTATE to raise.
 */
static void
ValidateCiphertext(const PaillierKey *key, int scale, int bound,
				   const mpz_t c, int code)
{
	mpz_t		gcd;
	bool		unit;

	if (scale < 0 || scale > PAILLIER_MAX_SCALE)
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid Paillier ciphertext: scale %d is out of range", scale),
				 errdetail("The scale must lie between 0 and %d.", PAILLIER_MAX_SCALE)));
	if (bound < 0 || bound > MaxBound(key))
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid Paillier ciphertext: bound %d is out of range", bound),
				 errdetail("The bound must lie between 0 and %d for a %d-bit key.",
						   MaxBound(key), key->bits)));
	if (mpz_sgn(c) <= 0 || mpz_cmp(c, key->n2) >= 0)
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid Paillier ciphertext: value out of range"),
				 errdetail("A ciphertext c of key \"%s\" must satisfy 0 < c < n^2.",
						   key->name)));
	mpz_init(gcd);
	mpz_gcd(gcd, c, key->n);
	unit = mpz_cmp_ui(gcd, 1) == 0;
	mpz_clear(gcd);
	if (!unit)
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid Paillier ciphertext: not coprime to n"),
				 errdetail("A ciphertext c of key \"%s\" must satisfy gcd(c, n) = 1.",
						   key->name)));
}

static int
HexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
RejectText(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type paillier_ciphertext"),
			 errdetail("%s", detail),
			 errhint("The text form is FINGERPRINT:SCALE:BOUND:C, with a 32-digit hexadecimal fingerprint, two decimal integers and C in hexadecimal.")));
}

/* Parse a decimal integer field of the text form, ending at stop. */
static int
ParseSmallField(const char *start, const char *stop, const char *what)
{
	int			value = 0;

	if (start == stop || stop - start > 5)
		RejectText(what);
	for (const char *p = start; p < stop; p++)
	{
		if (*p < '0' || *p > '9')
			RejectText(what);
		value = value * 10 + (*p - '0');
	}
	return value;
}

/*
 * paillier_ciphertext_in(cstring) returns paillier_ciphertext
 *	  Text form: FINGERPRINT:SCALE:BOUND:C, fingerprint and C in hexadecimal.
 */
Datum
paillier_ciphertext_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *colon1 = strchr(input, ':');
	const char *colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
	const char *colon3 = colon2 ? strchr(colon2 + 1, ':') : NULL;
	uint8		fingerprint[PAILLIER_FINGERPRINT_LEN];
	PaillierKey *key;
	int			scale,
				bound;
	const char *hex;
	size_t		hex_len;
	uint8	   *bytes;
	size_t		max_hex;
	mpz_t		c;
	bytea	   *result;

	if (colon3 == NULL || strchr(colon3 + 1, ':') != NULL)
		RejectText("The value must have four fields separated by colons.");
	if (colon1 - input != PAILLIER_FINGERPRINT_LEN * 2)
		RejectText("The fingerprint must have 32 hexadecimal digits.");
	for (int i = 0; i < PAILLIER_FINGERPRINT_LEN; i++)
	{
		int			high = HexValue(input[2 * i]);
		int			low = HexValue(input[2 * i + 1]);

		if (high < 0 || low < 0)
			RejectText("The fingerprint must have 32 hexadecimal digits.");
		fingerprint[i] = (uint8) (high << 4 | low);
	}
	scale = ParseSmallField(colon1 + 1, colon2, "The scale must be a decimal integer.");
	bound = ParseSmallField(colon2 + 1, colon3, "The bound must be a decimal integer.");

	key = PaillierKeyByFingerprint(fingerprint, false);
	hex = colon3 + 1;
	hex_len = strlen(hex);
	max_hex = (size_t) key->cipher_bytes * 2;
	if (hex_len == 0 || hex_len > max_hex)
		RejectText("The ciphertext must have 1 to 2 * (bytes of n^2) hexadecimal digits.");

	/* Left-pad to whole bytes, then decode */
	bytes = palloc0(key->cipher_bytes);
	for (size_t i = 0; i < hex_len; i++)
	{
		int			digit = HexValue(hex[hex_len - 1 - i]);
		size_t		byte = key->cipher_bytes - 1 - i / 2;

		if (digit < 0)
			RejectText("The ciphertext must be hexadecimal.");
		bytes[byte] |= (uint8) (i % 2 == 0 ? digit : digit << 4);
	}

	PaillierGmpBegin();
	mpz_init(c);
	MpzFromBytes(c, bytes, key->cipher_bytes);
	ValidateCiphertext(key, scale, bound, c, ERRCODE_INVALID_TEXT_REPRESENTATION);
	result = MakeCiphertext(key, scale, bound, c);
	mpz_clear(c);
	PaillierGmpEnd();
	pfree(bytes);
	PG_RETURN_BYTEA_P(result);
}

/* paillier_ciphertext_out(paillier_ciphertext) returns cstring */
Datum
paillier_ciphertext_out(PG_FUNCTION_ARGS)
{
	bytea	   *datum = PG_GETARG_BYTEA_PP(0);
	const uint8 *data = (const uint8 *) VARDATA_ANY(datum);
	size_t		len = VARSIZE_ANY_EXHDR(datum);
	size_t		cipher_len;
	CiphertextHeader header;
	StringInfoData buf;
	char	   *hex;

	if (len < PAILLIER_HEADER_LEN)
		elog(ERROR, "Paillier ciphertext datum of %zu bytes is too short", len);
	ReadHeader(data, &header);
	cipher_len = len - PAILLIER_HEADER_LEN;
	initStringInfo(&buf);
	hex = palloc(Max(PAILLIER_FINGERPRINT_LEN, cipher_len) * 2 + 1);
	hex[hex_encode((const char *) header.fingerprint, PAILLIER_FINGERPRINT_LEN, hex)] = '\0';
	appendStringInfo(&buf, "%s:%d:%d:", hex, header.scale, header.bound);
	hex[hex_encode((const char *) data + PAILLIER_HEADER_LEN, cipher_len, hex)] = '\0';
	appendStringInfoString(&buf, hex);
	pfree(hex);
	PG_RETURN_CSTRING(buf.data);
}

/*
 * paillier_ciphertext_recv(internal) returns paillier_ciphertext
 *	  Binary form: fingerprint (16 bytes), scale and bound (int16 each, network
 *	  order), c big-endian on 2 * (bytes of n) bytes.
 */
Datum
paillier_ciphertext_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	uint8		fingerprint[PAILLIER_FINGERPRINT_LEN];
	PaillierKey *key;
	int			scale,
				bound;
	int			remaining;
	mpz_t		c;
	bytea	   *result;

	if (buf->len - buf->cursor < PAILLIER_HEADER_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary Paillier ciphertext: %d bytes is too short",
						buf->len - buf->cursor)));
	pq_copymsgbytes(buf, (char *) fingerprint, PAILLIER_FINGERPRINT_LEN);
	scale = (int16) pq_getmsgint(buf, 2);
	bound = (int16) pq_getmsgint(buf, 2);
	key = PaillierKeyByFingerprint(fingerprint, false);
	remaining = buf->len - buf->cursor;
	if (remaining != key->cipher_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary Paillier ciphertext: %d bytes of ciphertext, expected %d",
						remaining, key->cipher_bytes)));

	PaillierGmpBegin();
	mpz_init(c);
	MpzFromBytes(c, (const uint8 *) buf->data + buf->cursor, remaining);
	buf->cursor += remaining;
	ValidateCiphertext(key, scale, bound, c, ERRCODE_INVALID_BINARY_REPRESENTATION);
	result = MakeCiphertext(key, scale, bound, c);
	mpz_clear(c);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

/* paillier_ciphertext_send(paillier_ciphertext) returns bytea */
Datum
paillier_ciphertext_send(PG_FUNCTION_ARGS)
{
	bytea	   *datum = PG_GETARG_BYTEA_PP(0);
	const uint8 *data = (const uint8 *) VARDATA_ANY(datum);
	size_t		len = VARSIZE_ANY_EXHDR(datum);
	CiphertextHeader header;
	StringInfoData buf;

	if (len < PAILLIER_HEADER_LEN)
		elog(ERROR, "Paillier ciphertext datum of %zu bytes is too short", len);
	ReadHeader(data, &header);
	pq_begintypsend(&buf);
	pq_sendbytes(&buf, (const char *) header.fingerprint, PAILLIER_FINGERPRINT_LEN);
	pq_sendint16(&buf, (uint16) header.scale);
	pq_sendint16(&buf, (uint16) header.bound);
	pq_sendbytes(&buf, (const char *) data + PAILLIER_HEADER_LEN, len - PAILLIER_HEADER_LEN);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
FreeCallCache(void *arg)
{
	CallCache  *cache = (CallCache *) arg;

	if (cache->priv != NULL)
		PaillierFreePrivateKey(cache->priv);
	cache->priv = NULL;
}

static CallCache *
GetCallCache(FunctionCallInfo fcinfo)
{
	CallCache  *cache = (CallCache *) fcinfo->flinfo->fn_extra;
	MemoryContextCallback *callback;

	if (cache != NULL)
		return cache;
	cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CallCache));
	callback = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									  sizeof(MemoryContextCallback));
	callback->func = FreeCallCache;
	callback->arg = cache;
	MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt, callback);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/* Return the key named by argument argno, looked up once per call site. */
static PaillierKey *
KeyArgument(FunctionCallInfo fcinfo, int argno)
{
	text	   *name = PG_GETARG_TEXT_PP(argno);
	CallCache  *cache = GetCallCache(fcinfo);

	if (cache->name == NULL ||
		VARSIZE_ANY_EXHDR(cache->name) != VARSIZE_ANY_EXHDR(name) ||
		memcmp(VARDATA_ANY(cache->name), VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name)) != 0)
	{
		PaillierKey *key = PaillierKeyByName(name);

		if (cache->name != NULL)
			pfree(cache->name);
		cache->name = (text *) MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
												  VARSIZE_ANY(name));
		memcpy(cache->name, name, VARSIZE_ANY(name));
		cache->key = key;
	}
	return cache->key;
}

/*
 * Return the private key of key for the current user, loaded once per call
 * site's FmgrInfo (a statement, or a transaction for PL/pgSQL simple
 * expressions) and again when the user changes. PaillierLoadPrivateKey()
 * checks the user's right.
 */
static const PaillierPrivateKey *
CachedPrivateKey(FunctionCallInfo fcinfo, const PaillierKey *key)
{
	CallCache  *cache = GetCallCache(fcinfo);
	Oid			user = GetUserId();
	MemoryContext old;

	if (cache->priv != NULL && cache->user == user && cache->private_key_of == key)
		return cache->priv;

	FreeCallCache(cache);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cache->priv = PaillierLoadPrivateKey(key);
	MemoryContextSwitchTo(old);
	cache->user = user;
	cache->private_key_of = key;
	return cache->priv;
}

/*
 * Encrypt m, a signed integer with |m| <= max_int, into a new datum:
 * c = g^m * hs^a mod n^2, where g^m = 1 + m n mod n^2 when g = n + 1.
 */
static bytea *
EncryptInteger(PaillierKey *key, const mpz_t m, int scale, int bound)
{
	mpz_t		encoded,
				gm,
				random_power;
	bytea	   *result;

	mpz_inits(encoded, gm, random_power, NULL);
	mpz_abs(encoded, m);
	if (mpz_cmp(encoded, key->max_int) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value is out of range for Paillier key \"%s\"", key->name),
				 errdetail("Values must lie within floor(n/3) - 1 in magnitude.")));
	mpz_mod(encoded, m, key->n);
	if (key->simple_g)
	{
		mpz_mul(gm, encoded, key->n);
		mpz_add_ui(gm, gm, 1);
	}
	else if (mpz_sgn(encoded) == 0)
		mpz_set_ui(gm, 1);		/* mpz_powm_sec requires a positive exponent */
	else
		mpz_powm_sec(gm, key->g, encoded, key->n2);
	PaillierRandomNthPower(key, random_power);
	mpz_mul(gm, gm, random_power);
	mpz_mod(gm, gm, key->n2);
	result = MakeCiphertext(key, scale, bound, gm);
	mpz_clears(encoded, gm, random_power, NULL);
	return result;
}

/* paillier_encrypt(value bigint, key text) returns paillier_ciphertext */
Datum
paillier_encrypt_bigint(PG_FUNCTION_ARGS)
{
	int64		value = PG_GETARG_INT64(0);
	PaillierKey *key = KeyArgument(fcinfo, 1);
	mpz_t		m;
	bytea	   *result;
	char		digits[32];

	PaillierGmpBegin();
	mpz_init(m);
	/* Through text, since mpz_set_si takes a long, which may be 32 bits */
	snprintf(digits, sizeof(digits), INT64_FORMAT, value);
	mpz_set_str(m, digits, 10);
	explicit_bzero(digits, sizeof(digits));
	result = EncryptInteger(key, m, 0, PAILLIER_BIGINT_BOUND);
	mpz_clear(m);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

/*
 * paillier_encrypt(value numeric, key text, scale int) returns
 * paillier_ciphertext: encrypts value * 10^scale, which must be an integer
 * below 2^128 in magnitude.
 */
Datum
paillier_encrypt_numeric(PG_FUNCTION_ARGS)
{
	Datum		value = PG_GETARG_DATUM(0);
	PaillierKey *key = KeyArgument(fcinfo, 1);
	int32		scale = PG_GETARG_INT32(2);
	mpz_t		m;
	bytea	   *result;

	if (scale < 0 || scale > PAILLIER_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Paillier scale %d is out of range", scale),
				 errdetail("The scale must lie between 0 and %d.", PAILLIER_MAX_SCALE)));
	PaillierGmpBegin();
	mpz_init(m);
	MpzFromNumeric(m, value, scale);
	if (mpz_sizeinbase(m, 2) > PAILLIER_NUMERIC_BOUND - 1 && mpz_sgn(m) != 0)
	{
		mpz_clear(m);
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value is out of range for Paillier encryption at scale %d", scale),
				 errdetail("value * 10^scale must be below 2^127 in magnitude.")));
	}
	result = EncryptInteger(key, m, scale, PAILLIER_NUMERIC_BOUND);
	mpz_clear(m);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

/* paillier_decrypt(c paillier_ciphertext, key text) returns numeric */
Datum
paillier_decrypt(PG_FUNCTION_ARGS)
{
	bytea	   *datum = PG_GETARG_BYTEA_PP(0);
	PaillierKey *key = KeyArgument(fcinfo, 1);
	const PaillierPrivateKey *priv;
	PaillierKey *cipher_key;
	CiphertextHeader header;
	mpz_t		c,
				m,
				limit;
	Datum		result;
	bool		in_bound;

	/* The right to decrypt is checked before the ciphertext is read */
	priv = CachedPrivateKey(fcinfo, key);

	PaillierGmpBegin();
	mpz_inits(c, m, limit, NULL);
	cipher_key = ReadCiphertext(datum, &header, c);
	if (cipher_key != key)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ciphertext was encrypted with Paillier key \"%s\", not \"%s\"",
						cipher_key->name, key->name)));
	ValidateCiphertext(key, header.scale, header.bound, c, ERRCODE_DATA_CORRUPTED);
	PaillierDecryptRaw(priv, m, c);

	/* Signed decoding with the python-paillier overflow bands */
	if (mpz_cmp(m, key->max_int) > 0)
	{
		mpz_sub(limit, key->n, key->max_int);
		if (mpz_cmp(m, limit) < 0)
		{
			mpz_clears(c, m, limit, NULL);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("Paillier plaintext overflow"),
					 errdetail("The decrypted value lies between the positive and the negative range of the key.")));
		}
		mpz_sub(m, m, key->n);
	}
	mpz_abs(limit, m);
	in_bound = mpz_sizeinbase(limit, 2) <= (size_t) header.bound || mpz_sgn(limit) == 0;
	if (!in_bound)
	{
		mpz_clears(c, m, limit, NULL);
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("Paillier plaintext exceeds the bound recorded in its ciphertext"),
				 errdetail("The ciphertext states |m| < 2^%d; it was altered or imported with a wrong bound.",
						   header.bound)));
	}
	result = MpzToNumeric(m, header.scale);
	mpz_clears(c, m, limit, NULL);
	PaillierGmpEnd();
	PG_RETURN_DATUM(result);
}

/* Raise an error unless two ciphertexts can be combined. */
static void
CheckCompatible(const PaillierKey *key1, const CiphertextHeader *h1,
				const PaillierKey *key2, const CiphertextHeader *h2)
{
	if (key1 != key2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine ciphertexts of Paillier keys \"%s\" and \"%s\"",
						key1->name, key2->name)));
	if (h1->scale != h2->scale)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine Paillier ciphertexts of scales %d and %d",
						h1->scale, h2->scale),
				 errhint("Encrypt both columns with the same scale.")));
}

/* Add (or, if subtract, subtract) two ciphertexts. */
static Datum
AddCiphertexts(FunctionCallInfo fcinfo, bool subtract)
{
	CiphertextHeader h1,
				h2;
	PaillierKey *key1,
			   *key2;
	mpz_t		c1,
				c2;
	bytea	   *result;
	int			bound;

	PaillierGmpBegin();
	mpz_inits(c1, c2, NULL);
	key1 = ReadCiphertext(PG_GETARG_BYTEA_PP(0), &h1, c1);
	key2 = ReadCiphertext(PG_GETARG_BYTEA_PP(1), &h2, c2);
	CheckCompatible(key1, &h1, key2, &h2);
	bound = Max(h1.bound, h2.bound) + 1;
	CheckBound(key1, bound);
	ValidateCiphertext(key1, h1.scale, h1.bound, c1, ERRCODE_DATA_CORRUPTED);
	ValidateCiphertext(key2, h2.scale, h2.bound, c2, ERRCODE_DATA_CORRUPTED);
	if (subtract && mpz_invert(c2, c2, key2->n2) == 0)
		elog(ERROR, "Paillier ciphertext has no inverse");
	mpz_mul(c1, c1, c2);
	mpz_mod(c1, c1, key1->n2);
	result = MakeCiphertext(key1, h1.scale, bound, c1);
	mpz_clears(c1, c2, NULL);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

/* paillier_add(c1, c2) returns paillier_ciphertext: Enc(m1 + m2) */
Datum
paillier_add(PG_FUNCTION_ARGS)
{
	return AddCiphertexts(fcinfo, false);
}

/* paillier_sub(c1, c2) returns paillier_ciphertext: Enc(m1 - m2) */
Datum
paillier_sub(PG_FUNCTION_ARGS)
{
	return AddCiphertexts(fcinfo, true);
}

/* Return ceil(log2(x)) for x >= 1. */
static int
CeilLog2(uint64 x)
{
	int			bits = 0;

	while (bits < 64 && (UINT64CONST(1) << bits) < x)
		bits++;
	return bits;
}

/* Multiply a ciphertext by a plaintext scalar: c^k, or (c^-1)^|k| for k < 0. */
static Datum
MultiplyCiphertext(bytea *datum, int64 scalar)
{
	CiphertextHeader header;
	PaillierKey *key;
	mpz_t		c,
				exponent;
	bytea	   *result;
	uint64		magnitude = scalar < 0 ? (uint64) (-(scalar + 1)) + 1 : (uint64) scalar;
	int			bound;
	char		digits[32];

	PaillierGmpBegin();
	mpz_inits(c, exponent, NULL);
	key = ReadCiphertext(datum, &header, c);
	bound = scalar == 0 ? 0 : header.bound + CeilLog2(magnitude);
	CheckBound(key, bound);
	ValidateCiphertext(key, header.scale, header.bound, c, ERRCODE_DATA_CORRUPTED);
	if (scalar < 0 && mpz_invert(c, c, key->n2) == 0)
		elog(ERROR, "Paillier ciphertext has no inverse");
	snprintf(digits, sizeof(digits), UINT64_FORMAT, magnitude);
	mpz_set_str(exponent, digits, 10);
	/* k is public, so the exponentiation need not be constant-time */
	mpz_powm(c, c, exponent, key->n2);
	if (scalar == 0)
	{
		/* Enc(0) with c = 1 would show that the value is 0: re-randomize */
		PaillierRandomNthPower(key, c);
	}
	result = MakeCiphertext(key, header.scale, bound, c);
	mpz_clears(c, exponent, NULL);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

/* paillier_mul(c paillier_ciphertext, k bigint) returns Enc(k * m) */
Datum
paillier_mul(PG_FUNCTION_ARGS)
{
	return MultiplyCiphertext(PG_GETARG_BYTEA_PP(0), PG_GETARG_INT64(1));
}

/* paillier_mul(k bigint, c paillier_ciphertext) returns Enc(k * m) */
Datum
paillier_mul_commuted(PG_FUNCTION_ARGS)
{
	return MultiplyCiphertext(PG_GETARG_BYTEA_PP(1), PG_GETARG_INT64(0));
}

/* paillier_rerandomize(c) returns a fresh ciphertext of the same plaintext */
Datum
paillier_rerandomize(PG_FUNCTION_ARGS)
{
	CiphertextHeader header;
	PaillierKey *key;
	mpz_t		c,
				random_power;
	bytea	   *result;

	PaillierGmpBegin();
	mpz_inits(c, random_power, NULL);
	key = ReadCiphertext(PG_GETARG_BYTEA_PP(0), &header, c);
	ValidateCiphertext(key, header.scale, header.bound, c, ERRCODE_DATA_CORRUPTED);
	PaillierRandomNthPower(key, random_power);
	mpz_mul(c, c, random_power);
	mpz_mod(c, c, key->n2);
	result = MakeCiphertext(key, header.scale, header.bound, c);
	mpz_clears(c, random_power, NULL);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

static MemoryContext
AggregateContext(FunctionCallInfo fcinfo, const char *what)
{
	MemoryContext context;

	if (!AggCheckCallContext(fcinfo, &context))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in a context other than an aggregate", what)));
	return context;
}

/* Create an empty sum state for key in the aggregate context. */
static PaillierSumState *
NewSumState(MemoryContext context, PaillierKey *key, int scale)
{
	MemoryContext old = MemoryContextSwitchTo(context);
	PaillierSumState *state = palloc0(sizeof(PaillierSumState));

	state->key = key;
	state->scale = (int16) scale;
	mpz_init2(state->product, 2 * key->cipher_bytes * 8 + 64);
	mpz_init2(state->factor, key->cipher_bytes * 8 + 64);
	mpz_init2(state->scratch, 2 * key->cipher_bytes * 8 + 64);
	mpz_set_ui(state->product, 1);
	MemoryContextSwitchTo(old);
	return state;
}

/* Fold one more factor into the state, which may have a different key. */
static void
FoldFactor(PaillierSumState *state, const PaillierKey *key,
		   const CiphertextHeader *header)
{
	CiphertextHeader state_header;

	memcpy(state_header.fingerprint, state->key->fingerprint, PAILLIER_FINGERPRINT_LEN);
	state_header.scale = state->scale;
	CheckCompatible(state->key, &state_header, key, header);
	if (mpz_sgn(state->factor) <= 0 || mpz_cmp(state->factor, key->n2) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid Paillier ciphertext: value out of range")));
	mpz_mul(state->scratch, state->product, state->factor);
	mpz_tdiv_r(state->product, state->scratch, key->n2);
}

/*
 * paillier_sum_transfn(internal, paillier_ciphertext) returns internal
 *	  Multiply the ciphertexts modulo n^2; nulls are skipped.
 */
Datum
paillier_sum_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext context = AggregateContext(fcinfo, "paillier_sum_transfn");
	PaillierSumState *state = PG_ARGISNULL(0) ? NULL : (PaillierSumState *) PG_GETARG_POINTER(0);
	bytea	   *datum;
	const uint8 *data;
	size_t		len;
	CiphertextHeader header;
	PaillierKey *key;
	MemoryContext old;

	if (PG_ARGISNULL(1))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	datum = PG_GETARG_BYTEA_PP(1);
	data = (const uint8 *) VARDATA_ANY(datum);
	len = VARSIZE_ANY_EXHDR(datum);
	if (len < PAILLIER_HEADER_LEN)
		elog(ERROR, "Paillier ciphertext datum of %zu bytes is too short", len);
	ReadHeader(data, &header);

	PaillierGmpBegin();
	if (state != NULL &&
		memcmp(header.fingerprint, state->key->fingerprint, PAILLIER_FINGERPRINT_LEN) == 0)
		key = state->key;
	else
		key = PaillierKeyByFingerprint(header.fingerprint, false);
	if (len != PAILLIER_HEADER_LEN + (size_t) key->cipher_bytes)
		elog(ERROR, "Paillier ciphertext datum has %zu bytes, expected %d",
			 len, PAILLIER_HEADER_LEN + key->cipher_bytes);
	if (state == NULL)
		state = NewSumState(context, key, header.scale);

	old = MemoryContextSwitchTo(context);
	MpzFromBytes(state->factor, data + PAILLIER_HEADER_LEN, key->cipher_bytes);
	FoldFactor(state, key, &header);
	MemoryContextSwitchTo(old);
	PaillierGmpEnd();

	state->max_bound = Max(state->max_bound, header.bound);
	state->count++;
	PG_RETURN_POINTER(state);
}

/* paillier_sum_combinefn(internal, internal) returns internal */
Datum
paillier_sum_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext context = AggregateContext(fcinfo, "paillier_sum_combinefn");
	PaillierSumState *state1 = PG_ARGISNULL(0) ? NULL : (PaillierSumState *) PG_GETARG_POINTER(0);
	PaillierSumState *state2 = PG_ARGISNULL(1) ? NULL : (PaillierSumState *) PG_GETARG_POINTER(1);
	CiphertextHeader header2;
	MemoryContext old;

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}

	PaillierGmpBegin();
	if (state1 == NULL)
	{
		/* Copy state2 into this aggregate's context */
		state1 = NewSumState(context, state2->key, state2->scale);
		old = MemoryContextSwitchTo(context);
		mpz_set(state1->product, state2->product);
		MemoryContextSwitchTo(old);
		state1->max_bound = state2->max_bound;
		state1->count = state2->count;
		PaillierGmpEnd();
		PG_RETURN_POINTER(state1);
	}
	memcpy(header2.fingerprint, state2->key->fingerprint, PAILLIER_FINGERPRINT_LEN);
	header2.scale = state2->scale;
	old = MemoryContextSwitchTo(context);
	mpz_set(state1->factor, state2->product);
	FoldFactor(state1, state2->key, &header2);
	MemoryContextSwitchTo(old);
	PaillierGmpEnd();
	state1->max_bound = Max(state1->max_bound, state2->max_bound);
	state1->count += state2->count;
	PG_RETURN_POINTER(state1);
}

/*
 * paillier_sum_serialize(internal) returns bytea
 *	  Layout: fingerprint, scale (int16), max bound (int16), count (int64),
 *	  product on 2 * (bytes of n) bytes.
 */
Datum
paillier_sum_serialize(PG_FUNCTION_ARGS)
{
	PaillierSumState *state = (PaillierSumState *) PG_GETARG_POINTER(0);
	size_t		len = PAILLIER_HEADER_LEN + sizeof(int64) + state->key->cipher_bytes;
	bytea	   *result = palloc(VARHDRSZ + len);
	uint8	   *data = (uint8 *) VARDATA(result);

	AggregateContext(fcinfo, "paillier_sum_serialize");
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(data, state->key->fingerprint, PAILLIER_FINGERPRINT_LEN);
	memcpy(data + PAILLIER_FINGERPRINT_LEN, &state->scale, sizeof(int16));
	memcpy(data + PAILLIER_FINGERPRINT_LEN + 2, &state->max_bound, sizeof(int16));
	memcpy(data + PAILLIER_HEADER_LEN, &state->count, sizeof(int64));
	PaillierGmpBegin();
	MpzToFixedBytes(state->product, data + PAILLIER_HEADER_LEN + sizeof(int64),
					state->key->cipher_bytes);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

/* paillier_sum_deserialize(bytea, internal) returns internal */
Datum
paillier_sum_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext context = AggregateContext(fcinfo, "paillier_sum_deserialize");
	bytea	   *datum = PG_GETARG_BYTEA_PP(0);
	const uint8 *data = (const uint8 *) VARDATA_ANY(datum);
	size_t		len = VARSIZE_ANY_EXHDR(datum);
	CiphertextHeader header;
	PaillierKey *key;
	PaillierSumState *state;
	int64		count;
	MemoryContext old;

	if (len < PAILLIER_HEADER_LEN + sizeof(int64))
		elog(ERROR, "Paillier sum state of %zu bytes is too short", len);
	ReadHeader(data, &header);
	memcpy(&count, data + PAILLIER_HEADER_LEN, sizeof(int64));
	PaillierGmpBegin();
	key = PaillierKeyByFingerprint(header.fingerprint, false);
	if (len != PAILLIER_HEADER_LEN + sizeof(int64) + key->cipher_bytes || count <= 0 ||
		header.bound < 0 || header.bound > MaxBound(key))
		elog(ERROR, "invalid Paillier sum state");
	state = NewSumState(context, key, header.scale);
	old = MemoryContextSwitchTo(context);
	MpzFromBytes(state->product, data + PAILLIER_HEADER_LEN + sizeof(int64),
				 key->cipher_bytes);
	MemoryContextSwitchTo(old);
	if (mpz_sgn(state->product) <= 0 || mpz_cmp(state->product, key->n2) >= 0)
		elog(ERROR, "invalid Paillier sum state");
	PaillierGmpEnd();
	state->max_bound = header.bound;
	state->count = count;
	PG_RETURN_POINTER(state);
}

/*
 * paillier_sum_finalfn(internal) returns paillier_ciphertext
 *	  NULL for no rows, as sum() returns.
 */
Datum
paillier_sum_finalfn(PG_FUNCTION_ARGS)
{
	PaillierSumState *state;
	int64		bound;
	mpz_t		gcd;
	bool		unit;
	bytea	   *result;

	AggregateContext(fcinfo, "paillier_sum_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (PaillierSumState *) PG_GETARG_POINTER(0);
	bound = (int64) state->max_bound + CeilLog2((uint64) state->count);
	CheckBound(state->key, bound);

	PaillierGmpBegin();
	/* gcd(product, n) = 1 exactly when every factor was a unit */
	mpz_init(gcd);
	mpz_gcd(gcd, state->product, state->key->n);
	unit = mpz_cmp_ui(gcd, 1) == 0;
	mpz_clear(gcd);
	if (!unit)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid Paillier ciphertext: not coprime to n")));
	result = MakeCiphertext(state->key, state->scale, (int) bound, state->product);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

/*
 * paillier_ciphertext(c numeric, key text, scale int, bound int) returns
 * paillier_ciphertext: a ciphertext made elsewhere, c in decimal (the form
 * python-paillier and paillier-bigint print), checked like any input.
 */
Datum
paillier_ciphertext_import(PG_FUNCTION_ARGS)
{
	Datum		value = PG_GETARG_DATUM(0);
	PaillierKey *key = KeyArgument(fcinfo, 1);
	int32		scale = PG_GETARG_INT32(2);
	int32		bound = PG_GETARG_INT32(3);
	mpz_t		c;
	bytea	   *result;

	PaillierGmpBegin();
	mpz_init(c);
	MpzFromNumeric(c, value, 0);
	ValidateCiphertext(key, scale, bound, c, ERRCODE_INVALID_PARAMETER_VALUE);
	result = MakeCiphertext(key, scale, bound, c);
	mpz_clear(c);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}

/* paillier_ciphertext_value(c) returns numeric: c as an integer */
Datum
paillier_ciphertext_value(PG_FUNCTION_ARGS)
{
	CiphertextHeader header;
	mpz_t		c;
	Datum		result;

	PaillierGmpBegin();
	mpz_init(c);
	ReadCiphertext(PG_GETARG_BYTEA_PP(0), &header, c);
	result = MpzToNumeric(c, 0);
	mpz_clear(c);
	PaillierGmpEnd();
	PG_RETURN_DATUM(result);
}

/* paillier_ciphertext_key(c) returns text: the name of its key */
Datum
paillier_ciphertext_key(PG_FUNCTION_ARGS)
{
	bytea	   *datum = PG_GETARG_BYTEA_PP(0);
	CiphertextHeader header;

	if (VARSIZE_ANY_EXHDR(datum) < PAILLIER_HEADER_LEN)
		elog(ERROR, "Paillier ciphertext datum is too short");
	ReadHeader((const uint8 *) VARDATA_ANY(datum), &header);
	PG_RETURN_TEXT_P(cstring_to_text(PaillierKeyByFingerprint(header.fingerprint,
															  false)->name));
}

/* paillier_ciphertext_scale(c) returns int: the decimal scale */
Datum
paillier_ciphertext_scale(PG_FUNCTION_ARGS)
{
	bytea	   *datum = PG_GETARG_BYTEA_PP(0);
	CiphertextHeader header;

	if (VARSIZE_ANY_EXHDR(datum) < PAILLIER_HEADER_LEN)
		elog(ERROR, "Paillier ciphertext datum is too short");
	ReadHeader((const uint8 *) VARDATA_ANY(datum), &header);
	PG_RETURN_INT32(header.scale);
}

/* paillier_bytes_to_numeric(bytea) returns numeric: big-endian unsigned */
Datum
paillier_bytes_to_numeric(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	mpz_t		value;
	Datum		result;

	PaillierGmpBegin();
	mpz_init(value);
	MpzFromBytes(value, (const uint8 *) VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
	result = MpzToNumeric(value, 0);
	mpz_clear(value);
	PaillierGmpEnd();
	PG_RETURN_DATUM(result);
}

/* paillier_numeric_to_bytes(numeric) returns bytea: big-endian unsigned */
Datum
paillier_numeric_to_bytes(PG_FUNCTION_ARGS)
{
	Datum		value = PG_GETARG_DATUM(0);
	mpz_t		integer;
	bytea	   *result;

	PaillierGmpBegin();
	mpz_init(integer);
	MpzFromNumeric(integer, value, 0);
	if (mpz_sgn(integer) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot convert a negative number to unsigned bytes")));
	result = MpzToBytea(integer);
	mpz_clear(integer);
	PaillierGmpEnd();
	PG_RETURN_BYTEA_P(result);
}
