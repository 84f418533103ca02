module sockgate

go 1.19
