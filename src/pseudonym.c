/*
 * pseudonym.c
 *	  pseudonymize() and pseudonymize_email(): keyed HMAC-SHA256 pseudonyms.
 *
 * Output
 *	  pseudonymize() returns "v<version>:<digest>", where <version> is the
 *	  key version in decimal without leading zeros and <digest> is the whole
 *	  HMAC-SHA256 output (256 bits) as 64 lower-case hexadecimal digits.
 *	  The version ends at the first ":" and the digest has a fixed length,
 *	  so a pseudonym parses one way only. Two pseudonyms are equal when the
 *	  key version and the digest are equal: pseudonyms of two versions never
 *	  compare equal, and the prefix names the version that made a pseudonym.
 *
 * Input types
 *	  Each input type is hashed under its own key. bytea uses the key itself,
 *	  so the HMAC test vectors of RFC 4231 apply as they are. Every other
 *	  type uses a key derived from it with HKDF-SHA256, whose info string
 *	  names the type. The text '42', the bigint 42 and the bytea
 *	  '\x3432' thus give unrelated pseudonyms. The bytes hashed are:
 *	    bytea   the bytes
 *	    text    the string converted to UTF-8, so that the server encoding
 *	            does not change the pseudonym
 *	    bigint  8 bytes, big-endian two's complement (smaller integer types
 *	            are cast to bigint, so 42::int and 42::bigint agree)
 *	    uuid    the 16 bytes
 *	    inet    the family (4 or 6), the prefix length, then the 4 or 16
 *	            address bytes; '10.0.0.1' and '10.0.0.1/24' differ
 *
 * Values never appear in error messages: they are personal data.
 */
#include "postgres.h"

#include <sys/socket.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/uuid.h"

#include "ciam_privacy.h"

/* Bits of digest kept in the local part of a pseudonymized email */
#define EMAIL_DIGEST_BYTES	16

static const char hex_digits[] = "0123456789abcdef";

/* Write len bytes as lower-case hexadecimal digits; returns the end. */
static char *
WriteHex(char *out, const uint8 *bytes, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		*out++ = hex_digits[bytes[i] >> 4];
		*out++ = hex_digits[bytes[i] & 0x0f];
	}
	return out;
}

/*
 * Return the key named by argument 1, at the version of argument 2 when
 * the function has one, or at the current version.
 */
static PseudonymKey *
KeyArgument(FunctionCallInfo fcinfo)
{
	int32		version = 0;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("key name must not be null")));
	if (PG_NARGS() > 2)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("key version must not be null")));
		version = PG_GETARG_INT32(2);
		if (version < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key version %d is invalid", version),
					 errhint("Key versions start at 1.")));
	}
	return GetPseudonymKey(fcinfo->flinfo, PG_GETARG_TEXT_PP(1), version);
}

/* Compute the pseudonym of data and return it as "v<version>:<hex>". */
static Datum
PseudonymDatum(FunctionCallInfo fcinfo, PseudonymDomain domain,
			   const uint8 *data, size_t len)
{
	PseudonymKey *key = KeyArgument(fcinfo);
	uint8		digest[CIAM_PSEUDONYM_DIGEST_BYTES];
	char		prefix[16];
	int			prefix_len;
	text	   *result;
	char	   *out;

	ComputePseudonymMac(key, domain, data, len, digest);
	prefix_len = snprintf(prefix, sizeof(prefix), "v%d:", PseudonymKeyVersion(key));
	result = palloc(VARHDRSZ + prefix_len + 2 * sizeof(digest));
	SET_VARSIZE(result, VARHDRSZ + prefix_len + 2 * sizeof(digest));
	out = VARDATA(result);
	memcpy(out, prefix, prefix_len);
	WriteHex(out + prefix_len, digest, sizeof(digest));
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(pseudonymize_bytea);

/* pseudonymize(value bytea, key_name text [, version int]) returns text */
Datum
pseudonymize_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *value;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	value = PG_GETARG_BYTEA_PP(0);
	return PseudonymDatum(fcinfo, PSEUDONYM_BYTEA,
						  (const uint8 *) VARDATA_ANY(value),
						  VARSIZE_ANY_EXHDR(value));
}

PG_FUNCTION_INFO_V1(pseudonymize_text);

/* pseudonymize(value text, key_name text [, version int]) returns text */
Datum
pseudonymize_text(PG_FUNCTION_ARGS)
{
	text	   *value;
	const char *data;
	char	   *utf8;
	int			len;
	Datum		result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	value = PG_GETARG_TEXT_PP(0);
	data = VARDATA_ANY(value);
	len = VARSIZE_ANY_EXHDR(value);
	utf8 = pg_server_to_any(data, len, PG_UTF8);
	if (utf8 != data)
		len = strlen(utf8);
	result = PseudonymDatum(fcinfo, PSEUDONYM_TEXT, (const uint8 *) utf8, len);
	if (utf8 != data)
		pfree(utf8);
	return result;
}

PG_FUNCTION_INFO_V1(pseudonymize_bigint);

/* pseudonymize(value bigint, key_name text [, version int]) returns text */
Datum
pseudonymize_bigint(PG_FUNCTION_ARGS)
{
	uint64		big_endian;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	big_endian = pg_hton64((uint64) PG_GETARG_INT64(0));
	return PseudonymDatum(fcinfo, PSEUDONYM_BIGINT,
						  (const uint8 *) &big_endian, sizeof(big_endian));
}

PG_FUNCTION_INFO_V1(pseudonymize_uuid);

/* pseudonymize(value uuid, key_name text [, version int]) returns text */
Datum
pseudonymize_uuid(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *value;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	value = PG_GETARG_UUID_P(0);
	return PseudonymDatum(fcinfo, PSEUDONYM_UUID, value->data, UUID_LEN);
}

PG_FUNCTION_INFO_V1(pseudonymize_inet);

/* pseudonymize(value inet, key_name text [, version int]) returns text */
Datum
pseudonymize_inet(PG_FUNCTION_ARGS)
{
	inet	   *value;
	uint8		data[2 + 16];
	int			address_len;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	value = PG_GETARG_INET_PP(0);
	address_len = ip_addrsize(value);
	if (address_len != 4 && address_len != 16)
		elog(ERROR, "unexpected inet address size %d", address_len);
	data[0] = ip_family(value) == PGSQL_AF_INET ? 4 : 6;
	data[1] = ip_bits(value);
	memcpy(data + 2, ip_addr(value), address_len);
	return PseudonymDatum(fcinfo, PSEUDONYM_INET, data, 2 + address_len);
}

PG_FUNCTION_INFO_V1(pseudonymize_email);

/*
 * pseudonymize_email(email text, key_name text) returns text
 *	  Replace the local part (before the last "@") with "v<version>." and
 *	  128 bits of its pseudonym, and keep the domain, in lower case.
 */
Datum
pseudonymize_email(PG_FUNCTION_ARGS)
{
	text	   *value;
	const char *data;
	int			len;
	int			at;
	int			domain_len;
	char	   *utf8;
	PseudonymKey *key;
	uint8		digest[CIAM_PSEUDONYM_DIGEST_BYTES];
	StringInfoData out;
	char		hex[2 * EMAIL_DIGEST_BYTES];
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	value = PG_GETARG_TEXT_PP(0);
	data = VARDATA_ANY(value);
	len = VARSIZE_ANY_EXHDR(value);

	for (at = len - 1; at >= 0 && data[at] != '@'; at--)
		;
	domain_len = len - at - 1;
	if (at < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid email address: it contains no \"@\"")));
	if (at == 0 || domain_len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid email address: its local part or its domain is empty")));

	key = KeyArgument(fcinfo);
	utf8 = pg_server_to_any(data, at, PG_UTF8);
	ComputePseudonymMac(key, PSEUDONYM_EMAIL, (const uint8 *) utf8,
						utf8 == data ? (size_t) at : strlen(utf8), digest);

	initStringInfo(&out);
	appendStringInfo(&out, "v%d.", PseudonymKeyVersion(key));
	WriteHex(hex, digest, EMAIL_DIGEST_BYTES);
	appendBinaryStringInfo(&out, hex, sizeof(hex));
	appendStringInfoChar(&out, '@');
	for (i = at + 1; i < len; i++)
		appendStringInfoChar(&out, pg_ascii_tolower((unsigned char) data[i]));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
