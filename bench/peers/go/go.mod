module fcpeer

go 1.19
