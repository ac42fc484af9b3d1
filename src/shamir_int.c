/*
 * shamir_int.c
 *	  Shamir shares of integers over the prime field of p = 2^127 - 1, and
 *	  a secure sum: shares of the total are sums of shares.
 *
 * Field and range
 *	  A value v is encoded as v mod p. The rebuilt value is read back as the
 *	  representative in [-(p - 1) / 2, (p - 1) / 2], about +-8.5e37. Shares
 *	  are linear: adding the shares that several parties made of their own
 *	  values, x by x, gives shares of the sum of the values. The sum comes
 *	  out right as long as the true total lies in that range. A sum of N
 *	  bigint values has a magnitude of at most N * 2^63, which stays below
 *	  (p - 1) / 2 = 2^126 - 1 for every N below 2^63 (9.2e18) rows. Larger
 *	  totals wrap around modulo p, and shares cannot detect it.
 *
 * Shares
 *	  The type shamir_int_share contains (x, threshold, y): the point x in
 *	  1..255, the threshold of the polynomial it came from, and y in
 *	  [0, p). Integer shares take fixed x values: element k of the array
 *	  that shamir_share_int() returns has x = k, so that party k of a
 *	  secure sum receives the k-th share of every party and can add them.
 *	  Recording the threshold lets shamir_combine_int() reject fewer shares
 *	  than the threshold, which byte shares in Vault's format cannot do.
 *	  Given more shares than the threshold, it checks that the extra ones
 *	  lie on the polynomial of the first threshold shares.
 *
 * Secrecy and timing
 *	  Coefficients other than the constant term are uniform in [0, p),
 *	  drawn from pg_strong_random() by rejection of 127-bit draws equal to
 *	  p. Field multiplication, addition and subtraction run in constant
 *	  time on 64-bit limbs, and inversion is a fixed exponentiation.
 *	  Coefficients, the encoded value, its text form and a detoasted copy
 *	  of the numeric argument are wiped before they are freed.
 *
 * NOTE: a value travels between numeric and the field through numeric's
 * text form, and the time to convert it depends on its number of digits.
 * The field arithmetic itself does not depend on the value.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/nodeAgg.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "ciam_privacy.h"

#ifndef HAVE_INT128
#error "ciam_privacy needs a compiler with a 128-bit integer type"
#endif

/* p = 2^127 - 1, a Mersenne prime */
#define FIELD_PRIME (((uint128) 1 << 127) - 1)
/* (p - 1) / 2: the largest magnitude that a rebuilt value can have */
#define FIELD_HALF (((uint128) 1 << 126) - 1)

/* Decimal digits of 2^128 - 1, plus a sign and a terminating zero */
#define UINT128_DECIMAL_SIZE 41

/* Bytes of a serialized shamir_sum state: flag, x, threshold, y */
#define SHAMIR_SUM_SERIAL_SIZE 19

typedef struct ShamirIntShare
{
	uint64		y_low;
	uint64		y_high;
	uint8		x;
	uint8		threshold;
} ShamirIntShare;

/* The type's INTERNALLENGTH in sql/install/70_shamir.sql */
StaticAssertDecl(sizeof(ShamirIntShare) == 24,
				 "shamir_int_share must be 24 bytes long");

typedef struct ShamirSumState
{
	uint128		y;
	uint8		x;
	uint8		threshold;
	bool		has_share;
} ShamirSumState;

/* Return all ones if the top bit of word is set, else zero. */
static inline uint128
TopBitMask(uint128 word)
{
	return (uint128) 0 - (word >> 127);
}

/* Reduce s < 2^128 to [0, p) in constant time. */
static inline uint128
FieldReduce(uint128 s)
{
	uint128		t;

	/* 2^127 = 1 mod p, so fold the top bit down: s < 2^127 + 1 */
	s = (s & FIELD_PRIME) + (s >> 127);
	/* s - p wraps around, setting the top bit, exactly when s < p */
	t = s - FIELD_PRIME;
	return (s & TopBitMask(t)) | (t & ~TopBitMask(t));
}

static inline uint128
FieldAdd(uint128 a, uint128 b)
{
	return FieldReduce(a + b);
}

static inline uint128
FieldSub(uint128 a, uint128 b)
{
	return FieldReduce(a + (FIELD_PRIME - b));
}

/* Multiply two field elements in constant time. */
static inline uint128
FieldMul(uint128 a, uint128 b)
{
	uint64		a0 = (uint64) a;
	uint64		a1 = (uint64) (a >> 64);
	uint64		b0 = (uint64) b;
	uint64		b1 = (uint64) (b >> 64);
	uint128		low = (uint128) a0 * b0;
	uint128		middle = (uint128) a0 * b1 + (uint128) a1 * b0;
	uint128		high = (uint128) a1 * b1;
	uint128		low_sum;

	/*
	 * a, b < 2^127, so a1, b1 < 2^63 and each cross product is below 2^127:
	 * their sum fits. The product is high * 2^128 + middle * 2^64 + low.
	 */
	low_sum = low + (middle << 64);
	high += (middle >> 64) + (uint128) (low_sum < low);

	/*
	 * With the product at most 2^254, split it as H * 2^127 + L. Since
	 * 2^127 = 1 mod p, the product is H + L mod p, both below 2^127.
	 */
	return FieldReduce((low_sum & FIELD_PRIME) + ((high << 1) | (low_sum >> 127)));
}

/* Return a^(2^k) by k squarings. */
static uint128
FieldSquareTimes(uint128 a, int k)
{
	while (k-- > 0)
		a = FieldMul(a, a);
	return a;
}

/*
 * Return the inverse of a non-zero a as a^(p - 2), in constant time. With
 * p - 2 = 4 (2^125 - 1) + 1, an addition chain through a^(2^k - 1) for
 * k = 1, 2, 4, 8, 16, 32, 64 takes 126 squarings and 12 multiplications.
 */
static uint128
FieldInverse(uint128 a)
{
	uint128		t1 = a;
	uint128		t2 = FieldMul(FieldSquareTimes(t1, 1), t1);
	uint128		t4 = FieldMul(FieldSquareTimes(t2, 2), t2);
	uint128		t8 = FieldMul(FieldSquareTimes(t4, 4), t4);
	uint128		t16 = FieldMul(FieldSquareTimes(t8, 8), t8);
	uint128		t32 = FieldMul(FieldSquareTimes(t16, 16), t16);
	uint128		t64 = FieldMul(FieldSquareTimes(t32, 32), t32);
	uint128		t;

	/* t = a^(2^125 - 1), 125 being 64 + 32 + 16 + 8 + 4 + 1 */
	t = FieldMul(FieldSquareTimes(t64, 32), t32);
	t = FieldMul(FieldSquareTimes(t, 16), t16);
	t = FieldMul(FieldSquareTimes(t, 8), t8);
	t = FieldMul(FieldSquareTimes(t, 4), t4);
	t = FieldMul(FieldSquareTimes(t, 1), t1);
	return FieldMul(FieldSquareTimes(t, 2), a);
}

/*
 * Return the value at z of the polynomial through (xs[i], ys[i]), i < count,
 * by Lagrange interpolation. The denominators are inverted together: one
 * inversion of their product, then a pass back through prefix products.
 */
static uint128
FieldInterpolate(const uint8 *xs, const uint128 *ys, int count, uint128 z)
{
	uint128		numerators[CIAM_SHAMIR_MAX_SHARES];
	uint128		denominators[CIAM_SHAMIR_MAX_SHARES];
	uint128		prefix[CIAM_SHAMIR_MAX_SHARES];
	uint128		inverse;
	uint128		result = 0;
	int			i;
	int			j;

	for (i = 0; i < count; i++)
	{
		numerators[i] = 1;
		denominators[i] = 1;
		for (j = 0; j < count; j++)
		{
			if (j == i)
				continue;
			numerators[i] = FieldMul(numerators[i], FieldSub(z, xs[j]));
			denominators[i] = FieldMul(denominators[i], FieldSub(xs[i], xs[j]));
		}
		prefix[i] = i == 0 ? denominators[0] : FieldMul(prefix[i - 1], denominators[i]);
	}

	/* At step i, inverse is 1 / (denominators[0] * ... * denominators[i]) */
	inverse = FieldInverse(prefix[count - 1]);
	for (i = count - 1; i >= 0; i--)
	{
		uint128		inverse_of_denominator;

		inverse_of_denominator = i == 0 ? inverse : FieldMul(inverse, prefix[i - 1]);
		inverse = FieldMul(inverse, denominators[i]);
		result = FieldAdd(result,
						  FieldMul(ys[i], FieldMul(numerators[i], inverse_of_denominator)));
	}
	return result;
}

/* Draw a uniform field element. */
static uint128
FieldRandom(void)
{
	for (;;)
	{
		uint128		draw;

		ShamirRandomBytes(&draw, sizeof(draw));
		draw &= FIELD_PRIME;
		/* Only the 127-bit draw equal to p is out of range */
		if (draw != FIELD_PRIME)
			return draw;
	}
}

static inline uint128
ShareY(const ShamirIntShare *share)
{
	return ((uint128) share->y_high << 64) | share->y_low;
}

static ShamirIntShare *
MakeIntShare(uint8 x, uint8 threshold, uint128 y)
{
	ShamirIntShare *share = palloc0(sizeof(ShamirIntShare));

	share->x = x;
	share->threshold = threshold;
	share->y_low = (uint64) y;
	share->y_high = (uint64) (y >> 64);
	return share;
}

/* Write the decimal form of value into buf, which has UINT128_DECIMAL_SIZE bytes. */
static void
Uint128ToDecimal(uint128 value, bool negative, char *buf)
{
	char		digits[UINT128_DECIMAL_SIZE];
	int			count = 0;
	char	   *out = buf;

	do
	{
		digits[count++] = (char) ('0' + (int) (value % 10));
		value /= 10;
	} while (value != 0);
	if (negative)
		*out++ = '-';
	while (count > 0)
		*out++ = digits[--count];
	*out = '\0';
	explicit_bzero(digits, sizeof(digits));
}

/*
 * Raise an error unless x, threshold and y form a share that some call of
 * shamir_share_int() could have returned. x and threshold are uint128 so
 * that the text input can report any number it parsed.
 */
static void
CheckIntShare(uint128 x, uint128 threshold, uint128 y, int errcode_value)
{
	char		number[UINT128_DECIMAL_SIZE];

	if (x < 1 || x > CIAM_SHAMIR_MAX_SHARES)
	{
		Uint128ToDecimal(x, false, number);
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("x value %s of shamir_int_share is out of range", number),
				 errdetail("x must lie between 1 and %d.", CIAM_SHAMIR_MAX_SHARES)));
	}
	if (threshold < 2 || threshold > CIAM_SHAMIR_MAX_SHARES)
	{
		Uint128ToDecimal(threshold, false, number);
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("threshold %s of shamir_int_share is out of range", number),
				 errdetail("The threshold must lie between 2 and %d.",
						   CIAM_SHAMIR_MAX_SHARES)));
	}
	if (y >= FIELD_PRIME)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("y value of shamir_int_share is out of range"),
				 errdetail("y must be below 2^127 - 1.")));
}

/*
 * Parse unsigned decimal digits from *text into *value, advancing *text.
 * Return false if there are no digits or the number exceeds 2^128 - 1.
 */
static bool
ParseDecimalDigits(const char **text, uint128 *value)
{
	const char *cursor = *text;
	uint128		result = 0;

	if (*cursor < '0' || *cursor > '9')
		return false;
	for (; *cursor >= '0' && *cursor <= '9'; cursor++)
	{
		int			digit = *cursor - '0';

		if (result > (~(uint128) 0 - digit) / 10)
			return false;
		result = result * 10 + digit;
	}
	*text = cursor;
	*value = result;
	return true;
}

/*
 * Encode an integral numeric of magnitude at most (p - 1) / 2 as a field
 * element, or raise an error.
 */
static uint128
NumericToField(Numeric value)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out,
														   NumericGetDatum(value)));
	const char *cursor = text;
	bool		negative = false;
	bool		valid;
	uint128		magnitude = 0;
	uint128		result;

	if (*cursor == '-')
	{
		negative = true;
		cursor++;
	}
	valid = ParseDecimalDigits(&cursor, &magnitude);
	/* A fraction of zeros, as in 12.00, still makes an integer */
	if (valid && *cursor == '.')
		for (cursor++; *cursor == '0'; cursor++)
			;
	valid = valid && *cursor == '\0';
	explicit_bzero(text, strlen(text));
	pfree(text);

	if (!valid)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value of shamir_share_int must be an integer"),
				 errdetail("Fractions, NaN and infinities cannot be shared.")));
	if (magnitude > FIELD_HALF)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value of shamir_share_int is out of range"),
				 errdetail("Values must lie between -(2^126 - 1) and 2^126 - 1.")));

	result = negative ? FieldSub(0, magnitude) : magnitude;
	explicit_bzero(&magnitude, sizeof(magnitude));
	return result;
}

/* Decode a field element as the numeric in [-(p - 1) / 2, (p - 1) / 2]. */
static Numeric
FieldToNumeric(uint128 element)
{
	char		text[UINT128_DECIMAL_SIZE];
	bool		negative = element > FIELD_HALF;
	Numeric		result;

	Uint128ToDecimal(negative ? FIELD_PRIME - element : element, negative, text);
	result = DatumGetNumeric(DirectFunctionCall3(numeric_in,
												 CStringGetDatum(text),
												 ObjectIdGetDatum(InvalidOid),
												 Int32GetDatum(-1)));
	explicit_bzero(text, sizeof(text));
	return result;
}

PG_FUNCTION_INFO_V1(shamir_int_share_in);

/* shamir_int_share_in(cstring) reads "(x,threshold,y)" in decimal. */
Datum
shamir_int_share_in(PG_FUNCTION_ARGS)
{
	const char *text = PG_GETARG_CSTRING(0);
	const char *cursor = text;
	uint128		x = 0;
	uint128		threshold = 0;
	uint128		y = 0;
	bool		valid;

	valid = *cursor++ == '(' &&
		ParseDecimalDigits(&cursor, &x) && *cursor++ == ',' &&
		ParseDecimalDigits(&cursor, &threshold) && *cursor++ == ',' &&
		ParseDecimalDigits(&cursor, &y) && *cursor++ == ')' &&
		*cursor == '\0';
	if (!valid)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type shamir_int_share: \"%s\"", text),
				 errdetail("A share is written (x,threshold,y) in decimal, without spaces.")));
	CheckIntShare(x, threshold, y, ERRCODE_INVALID_TEXT_REPRESENTATION);
	PG_RETURN_POINTER(MakeIntShare((uint8) x, (uint8) threshold, y));
}

PG_FUNCTION_INFO_V1(shamir_int_share_out);

/* shamir_int_share_out(shamir_int_share) writes "(x,threshold,y)". */
Datum
shamir_int_share_out(PG_FUNCTION_ARGS)
{
	ShamirIntShare *share = (ShamirIntShare *) PG_GETARG_POINTER(0);
	char		y_text[UINT128_DECIMAL_SIZE];

	Uint128ToDecimal(ShareY(share), false, y_text);
	PG_RETURN_CSTRING(psprintf("(%d,%d,%s)", share->x, share->threshold, y_text));
}

PG_FUNCTION_INFO_V1(shamir_int_share_recv);

/* shamir_int_share_recv(internal) reads x, threshold and y (16 bytes, big-endian). */
Datum
shamir_int_share_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			x = pq_getmsgbyte(buf);
	int			threshold = pq_getmsgbyte(buf);
	uint64		y_high = (uint64) pq_getmsgint64(buf);
	uint64		y_low = (uint64) pq_getmsgint64(buf);
	uint128		y = ((uint128) y_high << 64) | y_low;

	CheckIntShare(x, threshold, y, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_POINTER(MakeIntShare((uint8) x, (uint8) threshold, y));
}

PG_FUNCTION_INFO_V1(shamir_int_share_send);

/* shamir_int_share_send(shamir_int_share) writes the layout that recv reads. */
Datum
shamir_int_share_send(PG_FUNCTION_ARGS)
{
	ShamirIntShare *share = (ShamirIntShare *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, share->x);
	pq_sendbyte(&buf, share->threshold);
	pq_sendint64(&buf, (int64) share->y_high);
	pq_sendint64(&buf, (int64) share->y_low);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(shamir_int_share_x);

Datum
shamir_int_share_x(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(((ShamirIntShare *) PG_GETARG_POINTER(0))->x);
}

PG_FUNCTION_INFO_V1(shamir_int_share_threshold);

Datum
shamir_int_share_threshold(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(((ShamirIntShare *) PG_GETARG_POINTER(0))->threshold);
}

PG_FUNCTION_INFO_V1(shamir_share_int);

/*
 * shamir_share_int(value numeric, threshold int, shares int) returns
 * shamir_int_share[], whose element k has x = k.
 */
Datum
shamir_share_int(PG_FUNCTION_ARGS)
{
	Oid		   *element_type = (Oid *) fcinfo->flinfo->fn_extra;
	Numeric		value;
	int			threshold;
	int			nshares;
	int			degree;
	uint128		coefficients[CIAM_SHAMIR_MAX_SHARES];
	ShamirIntShare *shares;
	Size		result_size;
	ArrayType  *result;
	int			i;

	ShamirCheckShareArguments(fcinfo, "shamir_share_int", "value");
	threshold = PG_GETARG_INT32(1);
	nshares = PG_GETARG_INT32(2);
	degree = threshold - 1;

	if (element_type == NULL)
	{
		element_type = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
		*element_type = get_element_type(get_func_rettype(fcinfo->flinfo->fn_oid));
		if (!OidIsValid(*element_type))
			elog(ERROR, "shamir_share_int must return an array");
		fcinfo->flinfo->fn_extra = element_type;
	}

	value = PG_GETARG_NUMERIC(0);
	coefficients[0] = NumericToField(value);
	/* A value read from a table arrives with a short header and is copied */
	if ((Pointer) value != DatumGetPointer(PG_GETARG_DATUM(0)))
	{
		explicit_bzero(value, VARSIZE(value));
		pfree(value);
	}
	for (i = 1; i <= degree; i++)
		coefficients[i] = FieldRandom();

	/* The shares are written straight into a one-dimensional result array */
	result_size = ARR_OVERHEAD_NONULLS(1) + nshares * sizeof(ShamirIntShare);
	result = palloc0(result_size);
	SET_VARSIZE(result, result_size);
	result->ndim = 1;
	result->dataoffset = 0;
	result->elemtype = *element_type;
	ARR_DIMS(result)[0] = nshares;
	ARR_LBOUND(result)[0] = 1;
	shares = (ShamirIntShare *) ARR_DATA_PTR(result);

	for (i = 0; i < nshares; i++)
	{
		uint128		x = (uint128) (i + 1);
		uint128		y = coefficients[degree];
		int			k;

		/* Horner's rule, from the leading coefficient down */
		for (k = degree - 1; k >= 0; k--)
			y = FieldAdd(FieldMul(y, x), coefficients[k]);
		shares[i].x = (uint8) (i + 1);
		shares[i].threshold = (uint8) threshold;
		shares[i].y_low = (uint64) y;
		shares[i].y_high = (uint64) (y >> 64);
	}
	explicit_bzero(coefficients, (degree + 1) * sizeof(uint128));

	PG_RETURN_ARRAYTYPE_P(result);
}

PG_FUNCTION_INFO_V1(shamir_combine_int);

/*
 * shamir_combine_int(shares shamir_int_share[]) returns numeric
 *
 * Rebuild from the first threshold shares; check any further share
 * against the polynomial they define.
 */
Datum
shamir_combine_int(PG_FUNCTION_ARGS)
{
	ArrayType  *array;
	Pointer		elements[CIAM_SHAMIR_MAX_SHARES];
	int			count;
	int			threshold;
	uint8		xs[CIAM_SHAMIR_MAX_SHARES];
	uint128		ys[CIAM_SHAMIR_MAX_SHARES];
	uint128		secret;
	Numeric		result;
	int			i;

	array = ShamirGetShares(fcinfo, elements, &count);
	threshold = ((ShamirIntShare *) elements[0])->threshold;
	for (i = 0; i < count; i++)
	{
		ShamirIntShare *share = (ShamirIntShare *) elements[i];

		if (share->threshold != threshold)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("share %d has threshold %d but share 1 has threshold %d",
							i + 1, share->threshold, threshold),
					 errdetail("Shares of one value all have the same threshold.")));
		xs[i] = share->x;
		ys[i] = ShareY(share);
	}
	ShamirCheckXCoordinates(xs, count);
	if (count < threshold)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d shares are fewer than the threshold %d", count, threshold),
				 errhint("Collect at least %d shares.", threshold)));

	for (i = threshold; i < count; i++)
		if (FieldInterpolate(xs, ys, threshold, xs[i]) != ys[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("share %d does not lie on the polynomial of shares 1 to %d",
							i + 1, threshold),
					 errdetail("The shares come from different values, or one of them was altered.")));

	secret = FieldInterpolate(xs, ys, threshold, 0);
	result = FieldToNumeric(secret);
	explicit_bzero(&secret, sizeof(secret));
	explicit_bzero(ys, count * sizeof(uint128));
	ShamirFreeShares(fcinfo, array);
	PG_RETURN_NUMERIC(result);
}

/* Add one share into a shamir_sum state, checking that x and threshold match. */
static void
AddShareToState(ShamirSumState *state, int x, int threshold, uint128 y)
{
	if (!state->has_share)
	{
		state->x = (uint8) x;
		state->threshold = (uint8) threshold;
		state->y = y;
		state->has_share = true;
		return;
	}
	if (x != state->x || threshold != state->threshold)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("shamir_sum cannot add the share (x %d, threshold %d) to shares (x %d, threshold %d)",
						x, threshold, state->x, state->threshold),
				 errdetail("Only shares with the same x and threshold add up to a share of the total."),
				 errhint("Group the shares by x, or sum the shares that one party holds.")));
	state->y = FieldAdd(state->y, y);
}

static ShamirSumState *
NewSumState(FunctionCallInfo fcinfo, const char *function)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called by the aggregate shamir_sum", function)));
	return MemoryContextAllocZero(aggcontext, sizeof(ShamirSumState));
}

PG_FUNCTION_INFO_V1(shamir_sum_transfn);

/* shamir_sum_transfn(internal, shamir_int_share) rejects NULL shares. */
Datum
shamir_sum_transfn(PG_FUNCTION_ARGS)
{
	ShamirSumState *state;
	ShamirIntShare *share;

	state = PG_ARGISNULL(0) ? NewSumState(fcinfo, "shamir_sum_transfn")
		: (ShamirSumState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("shamir_sum cannot add a null share"),
				 errdetail("Skipping it would leave one party's value out of the total.")));
	share = (ShamirIntShare *) PG_GETARG_POINTER(1);
	AddShareToState(state, share->x, share->threshold, ShareY(share));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(shamir_sum_combinefn);

/* shamir_sum_combinefn(internal, internal) merges two partial states. */
Datum
shamir_sum_combinefn(PG_FUNCTION_ARGS)
{
	ShamirSumState *state;
	ShamirSumState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	other = (ShamirSumState *) PG_GETARG_POINTER(1);
	state = PG_ARGISNULL(0) ? NewSumState(fcinfo, "shamir_sum_combinefn")
		: (ShamirSumState *) PG_GETARG_POINTER(0);
	if (other->has_share)
		AddShareToState(state, other->x, other->threshold, other->y);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(shamir_sum_serialize);

/* shamir_sum_serialize(internal) returns flag, x, threshold and y in 19 bytes. */
Datum
shamir_sum_serialize(PG_FUNCTION_ARGS)
{
	ShamirSumState *state = (ShamirSumState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("shamir_sum_serialize can only be called by the aggregate shamir_sum")));
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, state->has_share ? 1 : 0);
	pq_sendbyte(&buf, state->x);
	pq_sendbyte(&buf, state->threshold);
	pq_sendint64(&buf, (int64) (state->y >> 64));
	pq_sendint64(&buf, (int64) (uint64) state->y);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(shamir_sum_deserialize);

/* shamir_sum_deserialize(bytea, internal) validates every field it reads. */
Datum
shamir_sum_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *serial = PG_GETARG_BYTEA_PP(0);
	ShamirSumState *state = NewSumState(fcinfo, "shamir_sum_deserialize");
	StringInfoData buf;
	int			has_share;
	int			x;
	int			threshold;
	uint64		y_high;
	uint64		y_low;
	uint128		y;

	if (VARSIZE_ANY_EXHDR(serial) != SHAMIR_SUM_SERIAL_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("serialized shamir_sum state has %zu bytes instead of %d",
						(Size) VARSIZE_ANY_EXHDR(serial), SHAMIR_SUM_SERIAL_SIZE)));
	buf.data = VARDATA_ANY(serial);
	buf.len = VARSIZE_ANY_EXHDR(serial);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	has_share = pq_getmsgbyte(&buf);
	x = pq_getmsgbyte(&buf);
	threshold = pq_getmsgbyte(&buf);
	y_high = (uint64) pq_getmsgint64(&buf);
	y_low = (uint64) pq_getmsgint64(&buf);
	y = ((uint128) y_high << 64) | y_low;

	if (has_share == 1)
		CheckIntShare(x, threshold, y, ERRCODE_INVALID_BINARY_REPRESENTATION);
	else if (has_share != 0 || x != 0 || threshold != 0 || y != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("serialized shamir_sum state is invalid")));
	if (has_share == 1)
		AddShareToState(state, x, threshold, y);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(shamir_sum_finalfn);

/* shamir_sum_finalfn(internal) returns the summed share, or NULL without input. */
Datum
shamir_sum_finalfn(PG_FUNCTION_ARGS)
{
	ShamirSumState *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (ShamirSumState *) PG_GETARG_POINTER(0);
	if (!state->has_share)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(MakeIntShare(state->x, state->threshold, state->y));
}
