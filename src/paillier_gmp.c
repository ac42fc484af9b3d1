/*
 * paillier_gmp.c
 *	  GMP memory management and conversions for the Paillier files.
 *
 * Memory
 *	  Every GMP call of ciam_privacy runs between PaillierGmpBegin() and
 *	  PaillierGmpEnd(). Begin installs allocation functions that take memory
 *	  from PostgreSQL memory contexts; End puts back the functions found
 *	  before. So:
 *	  - an error raised in the middle of a computation (out of memory, a
 *	    cancel) leaks nothing: the memory belongs to a context that is reset;
 *	  - every block that GMP frees or moves is zeroed first, so intermediate
 *	    values of decryption (powers of c modulo p^2, the private key's
 *	    precomputed values) never stay in freed memory;
 *	  - another library of the same backend that uses GMP with its own
 *	    allocator is not affected outside our calls.
 *	  New blocks come from CurrentMemoryContext; a reallocated block stays in
 *	  the context of the old one. Callers switch context before setting a
 *	  value that must outlive the call (the key cache, aggregate states).
 *	  If an error leaves Begin without End, the transaction and
 *	  subtransaction abort callbacks restore the previous functions.
 *	  NOTE: a library that calls GMP from inside one of our calls (through
 *	  an error context callback, say) would allocate from our contexts.
 */
#include "postgres.h"

#include <string.h>

#include "access/xact.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "paillier.h"

static int	gmp_depth = 0;
static void *(*saved_alloc) (size_t);
static void *(*saved_realloc) (void *, size_t, size_t);
static void (*saved_free) (void *, size_t);

static void *
GmpAlloc(size_t size)
{
	return MemoryContextAlloc(CurrentMemoryContext, size);
}

/* Move a block within its own context, zeroing the old copy. */
static void *
GmpRealloc(void *old, size_t old_size, size_t new_size)
{
	void	   *block;

	block = MemoryContextAlloc(GetMemoryChunkContext(old), new_size);
	memcpy(block, old, Min(old_size, new_size));
	explicit_bzero(old, old_size);
	pfree(old);
	return block;
}

static void
GmpFree(void *block, size_t size)
{
	explicit_bzero(block, size);
	pfree(block);
}

/* Install the memory-context allocator for the GMP calls that follow. */
void
PaillierGmpBegin(void)
{
	if (gmp_depth++ == 0)
	{
		mp_get_memory_functions(&saved_alloc, &saved_realloc, &saved_free);
		mp_set_memory_functions(GmpAlloc, GmpRealloc, GmpFree);
	}
}

/* Restore the allocator that PaillierGmpBegin() found. */
void
PaillierGmpEnd(void)
{
	Assert(gmp_depth > 0);
	if (--gmp_depth == 0)
		mp_set_memory_functions(saved_alloc, saved_realloc, saved_free);
}

static void
ResetGmpAfterError(void)
{
	if (gmp_depth > 0)
	{
		gmp_depth = 0;
		mp_set_memory_functions(saved_alloc, saved_realloc, saved_free);
	}
}

static void
GmpXactCallback(XactEvent event, pg_attribute_unused() void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		ResetGmpAfterError();
}

static void
GmpSubXactCallback(SubXactEvent event,
				   pg_attribute_unused() SubTransactionId mySubid,
				   pg_attribute_unused() SubTransactionId parentSubid,
				   pg_attribute_unused() void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		ResetGmpAfterError();
}

/* Register the abort callbacks, once per backend. */
void
PaillierInstallGmpCallbacks(void)
{
	static bool installed = false;

	if (!installed)
	{
		RegisterXactCallback(GmpXactCallback, NULL);
		RegisterSubXactCallback(GmpSubXactCallback, NULL);
		installed = true;
	}
}

/* Set rop to the unsigned big-endian integer in bytes. */
void
MpzFromBytes(mpz_t rop, const uint8 *bytes, size_t len)
{
	if (len == 0)
		mpz_set_ui(rop, 0);
	else if (sizeof(mp_limb_t) == sizeof(uint64) && len % sizeof(uint64) == 0)
	{
		/*
		 * Whole 64-bit words: convert each from network order into a limb
		 * directly, several times faster than mpz_import on unaligned
		 * bytes. This runs once per row of paillier_add().
		 */
		size_t		words = len / sizeof(uint64);
		mp_limb_t  *limbs = mpz_limbs_write(rop, (mp_size_t) words);

		for (size_t i = 0; i < words; i++)
		{
			uint64		word;

			memcpy(&word, bytes + len - (i + 1) * sizeof(uint64), sizeof(uint64));
			limbs[i] = (mp_limb_t) pg_ntoh64(word);
		}
		mpz_limbs_finish(rop, (mp_size_t) words);
	}
	else
		mpz_import(rop, len, 1, 1, 1, 0, bytes);
}

/* Write op, which must be non-negative, big-endian on exactly len bytes. */
void
MpzToFixedBytes(const mpz_t op, uint8 *out, size_t len)
{
	size_t		needed = (mpz_sizeinbase(op, 2) + 7) / 8;
	size_t		written = 0;

	if (mpz_sgn(op) < 0 || (mpz_sgn(op) > 0 && needed > len))
		elog(ERROR, "integer does not fit in %zu bytes", len);
	memset(out, 0, len);
	if (mpz_sgn(op) > 0)
		mpz_export(out + (len - needed), &written, 1, 1, 1, 0, op);
	Assert(mpz_sgn(op) == 0 || written == needed);
}

/* Return op, non-negative, as a bytea in big-endian order without padding. */
bytea *
MpzToBytea(const mpz_t op)
{
	size_t		len = mpz_sgn(op) == 0 ? 0 : (mpz_sizeinbase(op, 2) + 7) / 8;
	bytea	   *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	MpzToFixedBytes(op, (uint8 *) VARDATA(result), len);
	return result;
}

/* Return op / 10^scale as a numeric with exactly that scale. */
Datum
MpzToNumeric(const mpz_t op, int scale)
{
	char	   *digits = mpz_get_str(NULL, 10, op);
	size_t		digits_len = strlen(digits);
	bool		negative = digits[0] == '-';
	const char *magnitude = digits + (negative ? 1 : 0);
	size_t		magnitude_len = digits_len - (negative ? 1 : 0);
	StringInfoData buf;
	Datum		result;

	initStringInfo(&buf);
	if (negative)
		appendStringInfoChar(&buf, '-');
	if (scale == 0)
		appendStringInfoString(&buf, magnitude);
	else
	{
		/* Pad with leading zeros so that one digit stays before the point */
		int			pad = (int) (scale + 1) - (int) magnitude_len;
		int			start = buf.len;
		int			integer_len;

		for (; pad > 0; pad--)
			appendStringInfoChar(&buf, '0');
		appendStringInfoString(&buf, magnitude);
		integer_len = buf.len - start - scale;
		appendStringInfoChar(&buf, '0');
		/* Shift the last scale digits one place right, then set the point */
		memmove(buf.data + start + integer_len + 1,
				buf.data + start + integer_len, scale);
		buf.data[start + integer_len] = '.';
	}
	explicit_bzero(digits, digits_len);
	pfree(digits);
	result = DirectFunctionCall3(numeric_in, CStringGetDatum(buf.data),
								 ObjectIdGetDatum(InvalidOid),
								 Int32GetDatum(-1));
	explicit_bzero(buf.data, buf.len);
	pfree(buf.data);
	return result;
}

/*
 * Set rop to value * 10^scale. The value must be finite, and every digit
 * after the scale-th decimal must be zero: the conversion never rounds.
 */
void
MpzFromNumeric(mpz_t rop, Datum value, int scale)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, value));
	char	   *point;
	StringInfoData digits;
	const char *p;
	int			fraction = 0;

	if (strcmp(text, "NaN") == 0 || strcmp(text, "Infinity") == 0 ||
		strcmp(text, "-Infinity") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot encrypt %s with Paillier", text),
				 errhint("Only finite numbers can be encrypted.")));

	initStringInfo(&digits);
	point = strchr(text, '.');
	for (p = text; *p; p++)
	{
		if (p == point)
			continue;
		if (point && p > point)
		{
			if (fraction >= scale)
			{
				if (*p != '0')
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("value has more than %d decimal places", scale),
							 errhint("Encrypt with a larger scale, or round the value first.")));
				continue;
			}
			fraction++;
		}
		appendStringInfoChar(&digits, *p);
	}
	for (; fraction < scale; fraction++)
		appendStringInfoChar(&digits, '0');
	if (mpz_set_str(rop, digits.data, 10) != 0)
		elog(ERROR, "numeric_out returned \"%s\"", text);
	explicit_bzero(digits.data, digits.len);
	explicit_bzero(text, strlen(text));
	pfree(digits.data);
	pfree(text);
}

/* Set rop to a uniform random integer in [0, bound), bound > 0. */
void
MpzRandomBelow(mpz_t rop, const mpz_t bound)
{
	size_t		bits = mpz_sizeinbase(bound, 2);
	size_t		len = (bits + 7) / 8;
	uint8	   *buf = palloc(len);

	/* Rejection sampling: each draw is accepted with probability >= 1/2 */
	do
	{
		if (!pg_strong_random(buf, len))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate random bytes")));
		if (bits % 8 != 0)
			buf[0] &= (uint8) ((1 << (bits % 8)) - 1);
		MpzFromBytes(rop, buf, len);
	} while (mpz_cmp(rop, bound) >= 0);
	explicit_bzero(buf, len);
	pfree(buf);
}
