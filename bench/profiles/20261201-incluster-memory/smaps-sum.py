import sys,re,collections
def parse(f):
    maps=[];cur=None
    for line in open(f):
        m=re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$',line)
        if m:
            cur={'range':(int(m[1],16),int(m[2],16)),'perm':m[3],'name':m[4] or '[anon]'}
            maps.append(cur);continue
        k,_,v=line.partition(':')
        if v.strip().endswith('kB'): cur[k]=int(v.split()[0])
    return maps
for f in sys.argv[1:]:
    ms=parse(f)
    tot=collections.Counter()
    for m in ms:
        size=(m['range'][1]-m['range'][0])//1024
        n=m['name']
        if n=='[anon]':
            if size>=100000: n='[anon big %dMB]'%(size//1024)
            elif size>=60000 and size<=70000: n='[anon ~64MB arena]'
            elif size<=1100: n='[anon small<=1M]'
            else: n='[anon mid]'
        tot[(n,'rss')]+=m.get('Rss',0); tot[(n,'anon')]+=m.get('Anonymous',0); tot[(n,'dirty')]+=m.get('Private_Dirty',0)
    names=sorted({k[0] for k in tot}, key=lambda n:-tot[(n,'rss')])
    print('==',f, 'total rss', sum(m.get('Rss',0) for m in ms)//1024,'MB anon',sum(m.get('Anonymous',0) for m in ms)//1024)
    for n in names[:14]:
        print('  %8d rss %8d anon  %s'%(tot[(n,'rss')],tot[(n,'anon')],n[-70:]))
