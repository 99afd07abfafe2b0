/*
 * Unlinked temporary files: for data that must not stay in memory (job
 * copies on their way in or out) and must not outlive the process either.
 */
#ifndef SR_CORE_TEMP_FILE_H
#define SR_CORE_TEMP_FILE_H

/* An unlinked file open for reading and writing in directory `dir`
 * (NULL: $TMPDIR, else /tmp), mode 0600, close-on-exec: O_TMPFILE, or a
 * file made and unlinked at once where the file system lacks it. The
 * caller owns the descriptor; -1 with errno set on failure. */
int sr_temp_file(const char *dir);

#endif
