"""A bulk list with every CSV feature the upload must keep, and its expected result file."""

from __future__ import annotations

UPLOAD = (
    b"\xef\xbb\xbfId,Name,Work E-mail,Note\r\n"
    b'1,"Doe, Alice",alice@postfix.mailfarm.net,"said ""hi"""\r\n'
    b"2,Zed,zed@postfix.mailfarm.net,\r\n"
    b"3,Nobody,,no address\r\n"
    b'4,Broken,bad@@x,"two\r\nlines"\r\n'
    b"5,Alice again,alice@postfix.mailfarm.net,duplicate\r\n"
    b"6,Info, info@postfix.mailfarm.net ,role\r\n"
    b"7,Catch,zed@catchall.mailfarm.net,extra,columns\r\n"
    b"8,Short\r\n"
)
RESULT = (
    b"\xef\xbb\xbfId,Name,Work E-mail,Note,,status,safe_to_send,disposable,free_account,role_account\r\n"
    b'1,"Doe, Alice",alice@postfix.mailfarm.net,"said ""hi""",,valid,yes,no,no,no\r\n'
    b"2,Zed,zed@postfix.mailfarm.net,,,invalid,no,no,no,no\r\n"
    b"3,Nobody,,no address,,invalid,no,no,no,no\r\n"
    b'4,Broken,bad@@x,"two\r\nlines",,invalid,no,no,no,no\r\n'
    b"5,Alice again,alice@postfix.mailfarm.net,duplicate,,valid,yes,no,no,no\r\n"
    b"6,Info, info@postfix.mailfarm.net ,role,,valid,no,no,no,yes\r\n"
    b"7,Catch,zed@catchall.mailfarm.net,extra,columns,catch-all,no,no,no,no\r\n"
    b"8,Short,,,,invalid,no,no,no,no\r\n"
)
